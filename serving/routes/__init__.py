"""One router per resource; serving/app.py includes them all."""
