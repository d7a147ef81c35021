"""Anonymous usage statistics: hourly aggregates in a durable outbox, sent over MQTT."""
