# Jain's index over the active connections per 1 s bucket, the median over each group's runs;
# data from fairness.py (fairness.dat: one block per group). Redraw: gnuplot fairness.gp
if (!exists("names")) names = "cubic bbr nv"
set terminal pngcairo size 1200,500 font 'Sans,13' linewidth 1.5 noenhanced
set output 'figures/fairness.png'
set title "Jain's index over the active connections, per 1 s bucket: median over the runs\nflows join at 10, 20 and 30 s"
set xlabel 'time since the experiment start (s)'
set ylabel "Jain's index"
set yrange [0.4:1.02]
set xrange [0:50]
set grid
set key outside below horizontal
set bmargin 5
set arrow from 10, graph 0 to 10, graph 1 nohead dt 3 lc rgb 'gray'
set arrow from 20, graph 0 to 20, graph 1 nohead dt 3 lc rgb 'gray'
set arrow from 30, graph 0 to 30, graph 1 nohead dt 3 lc rgb 'gray'
plot for [i = 0:words(names) - 1] 'fairness.dat' index i using 1:2 with steps lw 2 title word(names, i + 1)
