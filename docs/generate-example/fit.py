"""A simple model of execution time against input size, fitted on a `faasload generate` dataset.

Usage: python3 fit.py GENERATION_DIR [CSV]

Per function and setting, a power law cpu_ms = a * input_bytes ** b (the execution's CPU time,
user + system), fitted by least squares on the logarithms (DuckDB's regr_* aggregates); beside
it the R² of the same fit of the wall time of main (function_ms), which a loaded machine makes
noisier. Prints the fits as a Markdown table and writes CSV (default fit.csv): the measured
points and, per function, the pooled fit evaluated at 30 sizes, for
scripts/generate-example-figure.ts to draw.
"""
import sys

import duckdb

out = sys.argv[1]
csv = sys.argv[2] if len(sys.argv) > 2 else "fit.csv"
con = duckdb.connect()
con.execute(f"""create view runs as
    select function, setting, input_bytes, function_ms,
           (cpu_user_us + cpu_system_us) / 1000 as cpu_ms
    from read_parquet('{out}/executions/*.parquet')
    where outcome = 'ok' and input_bytes > 0 and function_ms > 0
      and cpu_user_us + cpu_system_us > 0""")

fits = con.sql("""
    select function, setting,
           regr_slope(ln(cpu_ms), ln(input_bytes))          as b,
           exp(regr_intercept(ln(cpu_ms), ln(input_bytes))) as a,
           regr_r2(ln(cpu_ms), ln(input_bytes))             as r2,
           regr_r2(ln(function_ms), ln(input_bytes))        as r2_wall,
           count(*) as n
    from runs group by all order by all""").df()
print("| function | setting | b (slope) | a (ms) | R² | R² of the wall time | n |")
print("|---|---|---|---|---|---|---|")
for r in fits.itertuples():
    print(f"| {r.function} | {r.setting} | {r.b:.2f} | {r.a:.3g} | {r.r2:.2f} | {r.r2_wall:.2f} | {r.n} |")

# The pooled fit per function, drawn as a line of 30 points over the sizes it was fitted on.
con.execute(f"""copy (
    select function as series, input_bytes, cpu_ms from runs
    union all
    select function || ' (fit)', x, exp(i + s * ln(x)) from (
        select function,
               regr_slope(ln(cpu_ms), ln(input_bytes)) as s,
               regr_intercept(ln(cpu_ms), ln(input_bytes)) as i,
               min(input_bytes) as lo, max(input_bytes) as hi
        from runs group by function
    ), lateral (select exp(ln(lo) + k * (ln(hi) - ln(lo)) / 29) as x from range(30) t(k))
    order by 1, 2
) to '{csv}' (header)""")
