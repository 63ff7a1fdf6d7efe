# NV, Vegas and cubic over the same deep queue: smoothed RTT over time, from each run's
# timeline/cwnd.csv. Run in the sweep folder (summary.py links each algorithm's first run
# there as nv/, vegas/ and cubic/).
set terminal pngcairo size 1200,600 font "DejaVu Sans,11"
set output 'compare.png'
set datafile separator ','
set key outside right top
set grid
set xlabel 'time (s)'
set ylabel 'smoothed RTT (ms)'
set title 'nv-vs-cubic: one flow alone, 50 Mbit/s, 20 ms base RTT, 4-BDP queue'
set yrange [0:*]
plot 'nv/timeline/cwnd.csv' using 1:($6/1000) every ::1 with lines lw 2 title 'NV', \
     'vegas/timeline/cwnd.csv' using 1:($6/1000) every ::1 with lines lw 2 title 'Vegas', \
     'cubic/timeline/cwnd.csv' using 1:($6/1000) every ::1 with lines lw 2 title 'cubic'
