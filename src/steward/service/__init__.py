"""The prediction gateway: serving, shadow, fallback, durable logging, labels and auth."""
