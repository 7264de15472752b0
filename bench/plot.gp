# Throughput against concurrency for POST /invoices and ceiling (b).
# bench/run.sh calls: gnuplot -e "data='...'; out='...'" bench/plot.gp
set terminal svg size 720,420 dynamic font "sans,12"
set output out
set title "POST throughput against concurrency (wrk, 5 s per point)"
set xlabel "connections"
set ylabel "requests/s"
set logscale x 2
set xtics (1, 4, 16, 64)
set yrange [0:*]
set key bottom right
set grid
plot data using 1:3 with linespoints lw 2 pt 7 title "ceiling (b): FastCGI + one XADD", \
     data using 1:2 with linespoints lw 2 pt 5 title "POST /invoices"
