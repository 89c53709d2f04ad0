"""From logs and files to training data: curation of logged turns and JSONL datasets.

`curate.CurationService` reads the primary key's turns and records feedback through
`ConversationService.feedback`; `build.build_dataset` turns files (read by `Loader`s
registered per extension, DESIGN.md section 5) and logged turns into JSONL.
"""
