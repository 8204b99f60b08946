"""Simulated tablets under load: real WebRTC from aiortc clients against real Daphne servers.

    # against servers you run yourself (their pids for CPU/RSS from /proc):
    .venv/bin/python -m bench.load --url http://127.0.0.1:8001 --server-pids 1234,5678 \\
        --tablets 2 --sessions 10
    # the script starts N Daphne processes and M Celery workers on `shiming_load` / Redis DB 5,
    # for each layout in turn, and sweeps the number of concurrent tablets:
    .venv/bin/python -m bench.load --layouts 1x1,2x1,1x2 --tablets 1,2,4 --sessions 12

Each tablet signs in through the login form (session cookie + CSRF, as the pages do), and for each
of its sessions: creates a registration, uploads a document card made from a frame of the
customer's footage, consents (the product's order: the clerk's photo, then the handover), opens
the session socket (the decision is pushed there) and the capture socket, and streams the
prompt-following customer of bench/actors/customer.py as its camera at the engine's frame budget
(15 fps) until the server says the attempt is over. The plan is the server's own random plan; the
tablet acknowledges each prompt (`prompt_shown`) as capture.js does and the customer acts on it
after a human reaction delay. A "busy" refusal is retried after a pause, then the session is
cancelled; every session ends in a decision, a clean failure, or a recorded timeout.

Server CPU is read from /proc for the servers' processes and their children only (the tablets'
own encoding does not count), and reported per capture-second: CPU seconds over the sum of the
captures' durations, i.e. the share of a core one concurrent capture costs (web and workers apart).

Decision latency runs from the first "finished" status (the last challenge step) to the decided
state on the session socket, as capture.js measures it. Frames received and analysed come from the
capture socket's final message. Servers the script starts also answer SIGUSR1 with their open
peer connections, asyncio tasks and threads (see `serve`). Loopback only; bounded; not a test.
"""
