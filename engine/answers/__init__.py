"""Present: the answer to a support agent's question, and rulings as text and JSON. Decides nothing."""
