"""The engine: frames -> verdicts -> decision, free of OctoPrint, boto3 and HTTP; clock, camera and model injected."""
