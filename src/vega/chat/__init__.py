"""Chat: turns, memory, prompts and the conversation history."""
