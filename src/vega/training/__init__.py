"""LoRA fine-tuning and evaluation (`vega train`, `vega eval`).

Light modules (``config``, ``data``, ``events``, ``jobs``) import no model library;
``lora``, ``eval`` and ``service`` import torch, transformers and PEFT inside their
functions, and ``hf_loop`` (imported only from there) at its top. So ``import vega``
and the CLI stay fast, and the training stack is needed only by those two commands
(``pip install 'vega[train]'``).
"""
