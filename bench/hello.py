"""A bare Flask view: the framework's ceiling on this machine, served like the real app."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
