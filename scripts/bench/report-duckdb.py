"""The data behind `faasload report`'s figures and summary, computed by DuckDB from a run's
invocations.parquet alone, with the same definitions (docs/reports.md):

- time origin t0 = min(scheduled_at); span = last of scheduled/sent/ended - t0, in seconds;
  bins of the smallest nice width giving at most 300 bins; a failure is counted at ended_at,
  or at scheduled_at when it has none; an error's kind carries its HTTP status;
- quantiles are nearest-rank (the ceil(q n)-th smallest value) over sent invocations of the
  measured phase; CDF series are nearest-rank values at fractions k/1000;
- the busiest 8 targets by planned invocations (ties by name) get their own latency series;
- with --ecdf, the exact empirical CDF (value, values <= it) of every CDF series.

Used by the report/DuckDB interop test and `npm run bench -- report`.

    python report-duckdb.py RUN_DIR [--ecdf] [--threads N]
"""

import json
import math
import sys

import duckdb

NICE_BINS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
MAX_BINS = 300
QS = [0.5, 0.9, 0.99, 0.999]
US = "epoch_us"


def bin_seconds(span_s):
    for b in NICE_BINS_S:
        if span_s / b <= MAX_BINS:
            return b
    return math.ceil(span_s / MAX_BINS / 3600) * 3600


def main():
    run = sys.argv[1]
    ecdf = "--ecdf" in sys.argv
    con = duckdb.connect()
    if "--threads" in sys.argv:
        con.execute(f"SET threads = {int(sys.argv[sys.argv.index('--threads') + 1])}")
    path = f"{run}/invocations.parquet".replace("'", "''")
    con.execute(
        f"""CREATE VIEW inv AS SELECT target, outcome, http_status, cold_start, phase,
        {US}(scheduled_at) AS sched, {US}(sent_at) AS sent, {US}(ended_at) AS ended,
        lateness_us, latency_us, latency_from_schedule_us FROM read_parquet('{path}')"""
    )
    t0, last, planned, sent = con.execute(
        """SELECT min(sched), greatest(max(sched), coalesce(max(sent), 0), coalesce(max(ended), 0)),
        count(*), count(sent) FROM inv"""
    ).fetchone()
    span_s = max(0, last - t0) / 1e6
    bin_s = bin_seconds(max(1, span_s))
    bins = int(-(-max(1, span_s) // bin_s)) or 1
    out = {"t0": t0, "span_s": span_s, "bin_s": bin_s, "bins": bins, "planned": planned, "sent": sent}
    out["outcomes"] = dict(con.execute("SELECT coalesce(outcome, 'unknown'), count(*) FROM inv GROUP BY 1").fetchall())
    cold, known = con.execute(
        "SELECT count(*) FILTER (WHERE cold_start), count(cold_start) FROM inv WHERE sent IS NOT NULL"
    ).fetchone()
    out["cold_starts"], out["cold_known"] = cold, known

    def per_bin(time_expr, where="TRUE"):
        rows = con.execute(
            f"""SELECT floor(({time_expr} - {t0}) / 1e6 / {bin_s})::BIGINT AS b, count(*) FROM inv
            WHERE {time_expr} IS NOT NULL AND ({where}) GROUP BY b"""
        ).fetchall()
        counts = [0] * bins
        for b, c in rows:
            if 0 <= b < bins:
                counts[b] = c
        return counts

    out["requests"] = {"planned": per_bin("sched"), "sent": per_bin("sent"), "completed": per_bin("ended")}
    kind = "CASE WHEN outcome = 'error' AND http_status IS NOT NULL THEN 'error ' || http_status ELSE outcome END"
    kinds = [k for (k,) in con.execute(f"SELECT DISTINCT {kind} FROM inv WHERE outcome <> 'ok'").fetchall()]
    out["failures"] = {k: per_bin("coalesce(ended, sched)", f"{kind} = '{k}'") for k in kinds}

    top = [
        t
        for (t,) in con.execute(
            "SELECT target FROM inv WHERE target IS NOT NULL GROUP BY target ORDER BY count(*) DESC, target LIMIT 8"
        ).fetchall()
    ]
    out["top_targets"] = top
    out["cold_by_target"] = {
        t: [p, k, c]
        for t, p, k, c in con.execute(
            """SELECT target, count(*), count(cold_start) FILTER (WHERE sent IS NOT NULL),
            count(*) FILTER (WHERE sent IS NOT NULL AND cold_start) FROM inv WHERE target IS NOT NULL GROUP BY target"""
        ).fetchall()
    }

    measured = "sent IS NOT NULL AND coalesce(phase, '') <> 'warmup'"
    series = {
        "lateness": ("lateness_us", "TRUE"),
        "latency": ("latency_us", "TRUE"),
        "latency_from_schedule": ("latency_from_schedule_us", "TRUE"),
    }
    for t in top:
        series[f"latency:{t}"] = ("latency_us", "target = '" + t.replace("'", "''") + "'")
    quantiles, cdf, exact = {}, {}, {}
    fractions = [k / 1000 for k in range(1, 1001)]
    for name, (col, where) in series.items():
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE v AS SELECT {col} AS x, row_number() OVER (ORDER BY {col}) AS r,
            count(*) OVER () AS n FROM inv WHERE {measured} AND {col} IS NOT NULL AND ({where})"""
        )
        n = con.execute("SELECT count(*) FROM v").fetchone()[0]
        if n == 0:
            quantiles[name] = None
            continue
        # Nearest rank with the fraction in double precision, as faasload computes it.
        ranks_sql = ", ".join(f"({i}, CAST({q!r} AS DOUBLE))" for i, q in enumerate(QS + fractions))
        rows = con.execute(
            f"""WITH q(i, f) AS (VALUES {ranks_sql}), k AS (SELECT i, greatest(1, least({n}, ceil(f * {n})))::BIGINT AS r FROM q)
            SELECT k.i, v.x FROM k JOIN v ON v.r = k.r ORDER BY k.i"""
        ).fetchall()
        values = [x for _, x in rows]
        mx = con.execute("SELECT max(x) FROM v").fetchone()[0]
        quantiles[name] = {"count": n, "p50": values[0], "p90": values[1], "p99": values[2], "p999": values[3], "max": mx}
        cdf[name] = values[len(QS):]
        if ecdf:
            exact[name] = con.execute(
                "SELECT x, max(r) FROM v GROUP BY x ORDER BY x"
            ).fetchall()
    out["quantiles"] = quantiles
    out["cdf_fractions"] = cdf
    if ecdf:
        out["ecdf"] = exact
    json.dump(out, sys.stdout)


main()
