-- GET a path as a new visitor each time (no cookie is ever sent back).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
