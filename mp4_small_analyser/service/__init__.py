"""The analysis service: HTTP API, durable queue, workers and callbacks.

`create_app(settings, backends)` builds the app; `tasks.handle_message` is the unit of
work any runtime (local workers, a Lambda consumer) runs per queue message.
"""
