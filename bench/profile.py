"""Profile the signing and confirmation POSTs in one process, with Flask's test client on a
file SQLite database: CPU time is robust to the machine's load where wrk's figures are not.

python -m bench.profile sign --requests 3000            # cProfile, top 40 by own time
python -m bench.profile confirm --requests 3000 --sort cumulative
python -m bench.profile sign --requests 3000 --no-profile   # just the time per request

Under `valgrind --tool=callgrind --callgrind-out-file=… python -m bench.profile sign
--no-profile --requests 300`, instruction counts compare two versions on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.__main__ import SLUG, app_env, fresh_database, make_confirmation_tokens


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=("sign", "confirm", "page", "json"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warm-up", type=int, default=50)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true", help="time only")
    parser.add_argument("--dump", help="write the raw profile here (for snakeviz, gprof2dot)")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind --tool=callgrind: count only the measured requests",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="campaign-profile-") as tmp:
        workdir = Path(tmp)
        with fresh_database("sqlite", workdir) as url:
            os.environ.update(app_env(url, workdir))
            from campaign import create_app

            app = create_app()
            client = app.test_client(use_cookies=False)
            page = client.get(f"/campaigns/{SLUG}").get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
            assert token is not None
            total = args.warm_up + args.requests

            if args.what == "confirm":
                tokens_file = workdir / "tokens.txt"
                make_confirmation_tokens(url, total, tokens_file)
                links = tokens_file.read_text().split()

            def request(n: int) -> int:
                if args.what == "sign":
                    return client.post(
                        f"/campaigns/{SLUG}",
                        data={
                            "csrf_token": token.group(1),
                            "first_name": "Bench",
                            "last_name": "Mark",
                            "country": "GB",
                            "postcode": "",
                            "email": f"profile-{n}@example.org",
                        },
                    ).status_code
                if args.what == "confirm":
                    return client.post(f"/confirm/{links[n]}").status_code
                path = f"/campaigns/{SLUG}" + (".json" if args.what == "json" else "")
                return client.get(path).status_code

            expected = {"sign": 303, "confirm": 200, "page": 200, "json": 200}[args.what]
            for n in range(args.warm_up):
                assert request(n) == expected
            # CPU time, not wall time: on a shared machine waiting for a core is not our cost.
            profiler = None
            if args.callgrind:  # zero the counts now, dump them after the loop
                subprocess.run(["callgrind_control", "-z", str(os.getpid())], check=True)
            elif not args.no_profile:
                profiler = cProfile.Profile(time.process_time)
            started, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            for n in range(args.warm_up, total):
                status = request(n)
                assert status == expected, status
            if profiler:
                profiler.disable()
            if args.callgrind:
                subprocess.run(["callgrind_control", "-d", str(os.getpid())], check=True)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"{args.what}: {args.requests} requests, {elapsed / args.requests * 1000:.3f} ms "
                f"each ({cpu / args.requests * 1000:.3f} ms CPU)"
                + (" under cProfile" if profiler else "")
            )
            if profiler:
                if args.dump:
                    profiler.dump_stats(args.dump)
                stats = pstats.Stats(profiler)
                stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
