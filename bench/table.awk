# Turns bench/run.sh's figures.txt and memory.txt into the Markdown
# table of `make bench`: every figure beside the ceiling it is judged
# against, measured in the same run, and whether the target is met.
function ms(us) { return sprintf("%.2f", us / 1000) }
function pct(a, b) { return b > 0 ? sprintf("%.0f %%", 100 * a / b) : "n/a" }
function yes(ok) { return ok ? "**met**" : "**missed**" }
function mib(kib) { return sprintf("%.1f MiB", kib / 1024) }
function row(name, f, vs, ratio, target, met) {
	printf "| %s | %s | %s | %s | %s | %s | %s |\n", name,
	    sprintf("%.0f", rps[f]), ms(p50[f]), ms(p99[f]), ratio, target, met
}

FNR == NR {
	if ($1 == "reader") reader = $2
	else if ($1 == "catchup") { catchup = $2; catchup_s = $3 }
	else if ($1 == "append") append = $2
	else if ($1 == "freshness") {
		fr_sent = $2; fr_rate = $3; fr_p50 = $4; fr_p99 = $5
		fr_max = $6; fr_lost = $7
	} else { rps[$1] = $2; p50[$1] = $3; p99[$1] = $4 }
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
	printf "Measured %s on %s (load average at the end %s); %s FastCGI " \
	    "processes per service; wrk -t2 -c32 -d%ss --latency, median of " \
	    "%s runs.\n\n", date, machine, load, procs, secs, runs
	print "| figure | req/s | p50 ms | p99 ms | ratio | target | |"
	print "|---|---:|---:|---:|---:|---|---|"
	row("ceiling (a): lighttpd + trivial FastCGI, fixed JSON", "ceil_a", "", "", "", "")
	row("ceiling (b): the same + one XADD of 150 bytes", "ceil_b", "", "", "", "")
	for (i = 0; i < 2; i++) {
		f = i == 0 ? "customers" : "invoices"
		ok = rps[f] >= 0.7 * rps["ceil_b"] && p99[f] <= 2 * p99["ceil_b"]
		row("POST /" f, f, "", pct(rps[f], rps["ceil_b"]) " of (b); p99 " \
		    sprintf("%.1f", p99[f] / p99["ceil_b"]) " ×",
		    "≥ 70 % of (b); p99 ≤ 2 × (b)", yes(ok))
	}
	row("GET /accounts, 100 customers", "accounts100", "",
	    pct(rps["accounts100"], rps["ceil_a"]) " of (a)", "≥ 50 % of (a)",
	    yes(rps["accounts100"] >= 0.5 * rps["ceil_a"]))
	row("GET /accounts, 1,000 customers", "accounts1000", "",
	    pct(rps["accounts1000"], rps["ceil_a"]) " of (a)", "none", "")
	row("POST /invoices, projector stopped (paired runs)", "invoices_alone",
	    "", "", "", "")
	row("POST /invoices, projector catching up beside it", "invoices_projecting",
	    "", pct(rps["invoices_projecting"], rps["invoices_alone"]) " of alone",
	    "≥ 90 % of alone",
	    yes(rps["invoices_projecting"] >= 0.9 * rps["invoices_alone"]))
	row("POST /invoices, appendfsync everysec (paired runs)", "fsync_everysec",
	    "", "", "", "")
	row("POST /invoices, appendfsync always", "fsync_always", "",
	    pct(rps["fsync_always"], rps["fsync_everysec"]) " of everysec",
	    "≥ 80 % of everysec: the default",
	    yes(rps["fsync_always"] >= 0.8 * rps["fsync_everysec"]))
	print ""
	print "| figure | events/s | ratio | target | |"
	print "|---|---:|---:|---|---|"
	printf "| read ceiling (c): XREAD COUNT 1000 + json-c | %d | | | |\n", reader
	printf "| projector catch-up, %d events (%s s) | %d | %s of (c) | ≥ 50 %% of (c), ≥ 200,000/s | %s |\n",
	    events, catchup_s, catchup, pct(catchup, reader),
	    yes(catchup >= 0.5 * reader && catchup >= 200000)
	printf "| pipelined XADD that wrote them | %d | | | |\n", append
	print ""
	printf "Freshness at %d invoices/s (%d sent): 201 to visible in GET /accounts " \
	    "p50 **%s ms**, p99 **%s ms** (max %s ms, %d never seen); target p99 ≤ 5 ms: %s.\n\n",
	    fr_rate, fr_sent, fr_p50, fr_p99, fr_max, fr_lost,
	    yes(fr_p99 <= 5 && fr_lost == 0)
	print "RSS at start: idle, before any load (logins only); resting: idle after everything; " \
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
