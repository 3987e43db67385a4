"""The web console and the HTML report: pages rendered from stored results.

`console.install_console` serves them from the FastAPI app; the rendering modules
(templates, rows, file views) import no web framework, so `mp4-analyser analyse
--html` writes the same pages into one file without loading the web stack.
"""
