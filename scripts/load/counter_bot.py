#!/usr/bin/env python3
"""Writes the counter bot used to price JavaScript in a turn (instr-count.sh, load-test.sh).

  counter_bot.py OUT.json [js]

One looping group: a text bubble showing {{Count}}, then (with `js`) a Set variable block whose
expression is `{{Count}} + 1`, then a text input whose answer loops back to the group. Without
`js` the bot is the same minus that block, so the two differ by exactly one evaluation a turn.
"""
import json
import sys

out, js = sys.argv[1], len(sys.argv) > 2 and sys.argv[2] == "js"
blocks = [{"id": "b-txt", "type": "text", "content": {"richText": [
    {"type": "p", "children": [{"text": "Count: {{Count}}"}]}]}}]
if js:
    blocks.append({"id": "b-set", "type": "Set variable", "options": {
        "variableId": "vcount", "expressionToEvaluate": "{{Count}} + 1"}})
blocks.append({"id": "b-in", "type": "text input", "options": {"variableId": "vanswer"},
               "outgoingEdgeId": "e-loop"})
bot = {
    "version": "6.1", "id": "counter", "publicId": "counter", "name": "counter",
    "events": [{"id": "ev-start", "type": "start", "outgoingEdgeId": "e-start",
                "graphCoordinates": {"x": 0, "y": 0}}],
    "groups": [{"id": "g-loop", "title": "Loop", "graphCoordinates": {"x": 0, "y": 0},
                "blocks": blocks}],
    "edges": [
        {"id": "e-start", "from": {"eventId": "ev-start"}, "to": {"groupId": "g-loop"}},
        {"id": "e-loop", "from": {"blockId": "b-in"}, "to": {"groupId": "g-loop"}},
    ],
    "variables": [{"id": "vcount", "name": "Count", "value": "0"},
                  {"id": "vanswer", "name": "Answer"}],
    "theme": {}, "settings": {},
}
json.dump(bot, open(out, "w"))
