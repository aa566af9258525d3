"""A local SMTP server for the email tests (aiosmtpd): appends every message it receives to a
JSON-lines file (envelope sender, recipients, raw content). Usage: smtp_recorder.py PORT FILE.
Prints READY once it listens."""
import asyncio
import json
import sys

from aiosmtpd.controller import Controller


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[2], "a", encoding="utf-8") as out:
            out.write(json.dumps({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
            }) + "\n")
        return "250 OK"


async def main():
    controller = Controller(Recorder(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("READY", flush=True)
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
