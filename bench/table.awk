# Turns bench/run.sh's figures.txt and memory.txt into the Markdown
# tables of `make bench`: every figure beside the ceiling or the
# configuration it is judged against, measured in the same run, and
# whether the target is met.  Throughput is of 2xx answers only; CPU is
# user + system time of the stack's processes per 1,000 2xx answers.
function ms(us) { return sprintf("%.2f", us / 1000) }
function pct(a, b) { return b > 0 ? sprintf("%.0f %%", 100 * a) : "n/a" }
function yes(ok) { return ok ? "**met**" : "**missed**" }
function mib(kib) { return sprintf("%.1f MiB", kib / 1024) }
function share(f) {
	return sprintf("%.1f %%", s2xx[f]) (s2xx[f] < 99 ? " **< 99 %**" : "")
}
function parts(f) {
	return sprintf("%.0f / %.0f / %.0f / %.0f", cl[f], cf[f], cr[f], crep[f]) \
	    (cw[f] >= 1 ? sprintf(" / worker %.0f", cw[f]) : "")
}
# row NAME F VS: one load, against ceiling VS ("" for none) with its
# targets: 2xx/s at least MIN of the ceiling's, CPU per request at most
# 1.5 times its.
function row(name, f, vs, min,    r, c, ok) {
	r = rr[f " " vs]; c = rc[f " " vs]
	ok = ""
	if (vs != "")
		ok = "2xx/s " yes(r >= min) ", CPU " yes(c > 0 && c <= 1.5)
	printf "| %s | %.0f | %s | %s | %s | %.1f | %s | %s | %s | %s | %s |\n",
	    name, rps[f], share(f), ms(p50[f]), ms(p99[f]), cpu[f], parts(f),
	    vs == "" ? "" : pct(r, 1) " of " label[vs],
	    vs == "" ? "" : sprintf("%.2f ×", c),
	    vs == "" ? "" : sprintf("≥ %d %% of %s; CPU ≤ 1.5 ×", 100 * min, label[vs]),
	    ok
}
# cost NAME F BASE TARGET MIN: what one guarantee costs, paired runs;
# the target met when F has at least MIN of BASE's 2xx/s.
function cost(name, f, base, target, min,    r) {
	r = rr[f " " base]
	printf "| %s | %.0f (%s) | %.0f (%s) | %s | %.1f / %.1f (%.2f ×) | %s | %s |\n",
	    name, rps[f], share(f), rps[base], share(base), pct(r, 1),
	    cpu[f], cpu[base], rc[f " " base], target,
	    target == "" ? "" : yes(r >= min)
}

FNR == NR {
	if ($1 == "reader") { reader = $2; reader_cpu = $3; reader_own = $4; reader_redis = $5 }
	else if ($1 == "catchup") {
		catchup = $2; catchup_s = $3; catchup_cpu = $4
		catchup_worker = $5; catchup_redis = $6
	} else if ($1 == "append") append = $2
	else if ($1 == "freshness") {
		fr_sent = $2; fr_rate = $3; fr_p50 = $4; fr_p99 = $5
		fr_max = $6; fr_lost = $7
	} else if ($1 == "ratio") { rr[$2 " " $3] = $4; rc[$2 " " $3] = $5 }
	else {
		rps[$1] = $2; p50[$1] = $3; p99[$1] = $4; s2xx[$1] = $5
		cpu[$1] = $6; cl[$1] = $7; cf[$1] = $8; cr[$1] = $9
		crep[$1] = $10; cw[$1] = $11
	}
	next
}
/^#/ { next }
{
	# One worker row: the catch-up's worker is not the last one.
	key = $2 == "worker" ? "worker -" : $2 " " $3
	if (!(key in seen)) { seen[key] = 1; order[n++] = key }
	if ($1 == "resting") { rest[key] = $4; anon[key] = $6; pss[key] = $7 }
	if ($1 == "after_catchup") after[key] = $4
	if ($1 == "start") first[key] = $4
	if ($5 > peak[key]) peak[key] = $5
}
END {
	label["ceil_a"] = "(a)"; label["ceil_b"] = "(b)"
	printf "Measured %s on %s (load average at the end %s); %s; each load " \
	    "from %d users at %d connections each (%d in all, one wrk -t1 " \
	    "per user, from 127.0.0.1), %ss, median of %s rounds.  Only 2xx " \
	    "answers count; CPU is user + system time of every process of " \
	    "the stack (/proc), in ms per 1,000 2xx answers, wrk's not " \
	    "counted; its parts: lighttpd / FastCGI / Redis / its replica.  " \
	    "p50 is the median of the wrk processes' p50s, p99 the highest " \
	    "of their p99s.  Ratios are medians of each round's ratio.\n\n",
	    date, machine, load, procs, users, conns, users * conns, secs, runs
	print "**The production configuration**: `appendfsync always` on Redis " \
	    "and its replica, each command waited for by the replica " \
	    "(`REDIS_WAIT_REPLICAS=1`), a fresh `Idempotency-Key` on every " \
	    "POST, the default limits per user.  Beside it, **make run's**: " \
	    "`appendfsync everysec`, no replica, `REDIS_WAIT_REPLICAS=0`, the " \
	    "same clients.  The ceilings run in make run's configuration."
	print ""
	print "| figure | 2xx/s | 2xx | p50 ms | p99 ms | CPU ms per 1,000 | lighttpd / FastCGI / Redis / replica | 2xx/s vs ceiling | CPU per request vs ceiling | target | |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
	row("**production**: POST /customers", "prod_customers", "ceil_b", 0.7)
	row("**production**: POST /invoices", "prod_invoices", "ceil_b", 0.7)
	row("**production**: GET /accounts, 100 customers", "prod_accounts", "ceil_a", 0.75)
	row("make run: POST /customers", "run_customers", "ceil_b", 0.7)
	row("make run: POST /invoices", "run_invoices", "ceil_b", 0.7)
	row("make run: GET /accounts, 100 customers", "run_accounts", "ceil_a", 0.75)
	row("ceiling (a): lighttpd + trivial FastCGI, fixed JSON", "ceil_a", "")
	row("ceiling (b): the same + one XADD of 150 bytes", "ceil_b", "")
	print ""
	print "What each guarantee costs, POST /invoices unless named, each " \
	    "pair in the same round (2xx/s with and without it, CPU ms per " \
	    "1,000 with and without):"
	print ""
	print "| guarantee | with | without | 2xx/s ratio | CPU with / without | target | |"
	print "|---|---:|---:|---:|---:|---|---|"
	cost("`appendfsync always` vs everysec (both waited for by the replica)",
	    "prod_invoices", "wait_invoices", "")
	cost("a replica waited for (`REDIS_WAIT_REPLICAS=1`) vs none (everysec; without it, make run's write processes)",
	    "wait_invoices", "run_invoices", "")
	cost("a fresh `Idempotency-Key` per command vs none", "prod_invoices",
	    "prod_invoices_nokey", "")
	cost("default limits, 8 users vs limits out of reach, one user on the same 64 connections",
	    "prod_invoices", "prod_invoices_free", "")
	cost("**all: production vs make run, 64 connections**", "prod_invoices",
	    "run_invoices", "≥ 80 % (group commit)", 0.8)
	cost("all, POST /customers", "prod_customers", "run_customers", "")
	cost("all, GET /accounts", "prod_accounts", "run_accounts", "")
	cost("POST /invoices beside a projector catching up vs alone (make run's)",
	    "invoices_projecting", "invoices_alone", "≥ 90 % of alone", 0.9)
	print ""
	print "| figure | events/s | CPU ms per 1,000 events | ratio | CPU vs (c) | target | |"
	print "|---|---:|---:|---:|---:|---|---|"
	printf "| read ceiling (c): XREAD COUNT 1000 + json-c | %d | %.1f (reader %.1f, Redis %.1f) | | | | |\n",
	    reader, reader_cpu, reader_own, reader_redis
	printf "| projector catch-up, %d events (%s s) | %d | %.1f (worker %.1f, Redis %.1f) | %s of (c) | %.2f × | ≥ 60 %% of (c); CPU ≤ 1.5 × | %s |\n",
	    events, catchup_s, catchup, catchup_cpu, catchup_worker, catchup_redis,
	    pct((reader > 0 ? catchup / reader : 0), 1),
	    (reader_cpu > 0 ? catchup_cpu / reader_cpu : 0),
	    yes(catchup >= 0.6 * reader) ", CPU " \
	    yes(reader_cpu > 0 && catchup_cpu <= 1.5 * reader_cpu)
	printf "| pipelined XADD that wrote them | %d | | | | | |\n", append
	print ""
	printf "Freshness at %d invoices/s (%d sent): 201 to visible in GET /accounts " \
	    "p50 **%s ms**, p99 **%s ms** (max %s ms, %d never seen); target p99 ≤ 5 ms: %s.\n\n",
	    fr_rate, fr_sent, fr_p50, fr_p99, fr_max, fr_lost,
	    yes(fr_p99 <= 5 && fr_lost == 0)
	print "RSS of the production instance's processes.  At start: idle, before any load (logins only); resting: idle after everything; " \
	    "peak: VmHWM (a login's argon2id hash takes 64 MiB, by design)."
	print ""
	print "| process | RSS at start | resting RSS | anonymous | PSS | peak RSS | after the catch-up | target | |"
	print "|---|---:|---:|---:|---:|---:|---:|---|---|"
	for (i = 0; i < n; i++) {
		k = order[i]
		split(k, kp, " ")
		target = ""; met = ""
		if (kp[1] ~ /\.fcgi$/) {
			target = "≤ 4 MiB resting"
			met = yes(rest[k] <= 4096) " (at start: " yes(first[k] <= 4096) ")"
		} else if (kp[1] == "worker") {
			target = "≤ 16 MiB after the events"
			met = yes(after[k] <= 16384)
		}
		printf "| %s%s | %s | %s | %s | %s | %s | %s | %s | %s |\n", kp[1],
		    kp[2] == "-" ? "" : " (pid " kp[2] ")",
		    first[k] ? mib(first[k]) : "",
		    rest[k] ? mib(rest[k]) : "gone", anon[k] ? mib(anon[k]) : "",
		    pss[k] ? mib(pss[k]) : "",
		    mib(peak[k]), after[k] ? mib(after[k]) : "", target, met
	}
}
