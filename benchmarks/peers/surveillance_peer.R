# The R surveillance peer of bench_signals_peers.py (issue 6): one detector, one call per
# series, on the first `series` rows of a counts CSV the driver writes (one row per
# series, one column per week, no header).
#
#   Rscript surveillance_peer.R METHOD COUNTS.csv SERIES OUTDIR [NAME=VALUE ...]
#
# METHOD: C1, C2 or C3 (earsC, its defaults), cusum (algo.cusum; NAME=VALUE gives
# `training`, the weeks before the first monitored one), farrington (farringtonFlexible;
# NAME=VALUE pairs are its control entries, e.g. b=4 thresholdMethod=nbPlugin).
# Writes OUTDIR/<field>.csv (series x weeks, NaN where the method gives nothing: the
# weeks before its range, R's NA) and OUTDIR/elapsed.txt: proc.time()'s elapsed seconds
# of the loop over series (making each sts and calling the method), not of reading or
# writing files, and the CPU seconds (user + system) of the same loop.

suppressPackageStartupMessages(library(surveillance))

args <- commandArgs(trailingOnly = TRUE)
method <- args[1]
counts_file <- args[2]
series <- as.integer(args[3])
outdir <- args[4]
control <- list()
for (pair in args[-(1:4)]) {
  kv <- strsplit(pair, "=", fixed = TRUE)[[1]]
  value <- suppressWarnings(as.numeric(kv[2]))
  control[[kv[1]]] <- if (is.na(value)) kv[2] else value
}

y <- as.matrix(read.csv(counts_file, header = FALSE, nrows = series))
storage.mode(y) <- "double"
weeks <- ncol(y)

fields <- switch(method,
  C1 = , C2 = , C3 = c("upperbound", "alarm"),
  cusum = c("upperbound", "alarm", "statistic"),
  farrington = c("upperbound", "alarm", "expected", "statistic", "p_value"),
  stop("unknown method ", method)
)
out <- lapply(setNames(fields, fields), function(f) matrix(NaN, series, weeks))

one_series <- function(i) {
  if (method %in% c("C1", "C2", "C3")) {
    s <- sts(observed = y[i, ], frequency = 52, start = c(2000, 1))
    r <- earsC(s, control = list(method = method))
    range <- r@control$range
    list(range = range, upperbound = upperbound(r)[, 1], alarm = alarms(r)[, 1])
  } else if (method == "cusum") {
    training <- control$training
    # create.disProg warns that it is deprecated; algo.cusum still takes a disProg.
    d <- suppressWarnings(create.disProg(
      week = seq_len(weeks), observed = y[i, ], state = rep(0, weeks), freq = 52
    ))
    range <- (training + 1):weeks
    r <- algo.cusum(d, control = list(range = range))
    list(range = range, upperbound = r$upperbound, alarm = r$alarm, statistic = r$cusum)
  } else {
    s <- sts(observed = y[i, ], frequency = 52, start = c(2000, 1))
    r <- suppressWarnings(farringtonFlexible(s, control = control))
    range <- (weeks - nrow(r) + 1):weeks
    list(
      range = range, upperbound = upperbound(r)[, 1], alarm = alarms(r)[, 1],
      expected = r@control$expected[, 1], statistic = r@control$score[, 1],
      p_value = r@control$pvalue[, 1]
    )
  }
}

results <- vector("list", series)
start <- proc.time()
for (i in seq_len(series)) results[[i]] <- one_series(i)
spent <- proc.time() - start
elapsed <- spent[["elapsed"]]
cpu <- spent[["user.self"]] + spent[["sys.self"]]

for (i in seq_len(series)) {
  r <- results[[i]]
  for (f in fields) out[[f]][i, r$range] <- as.numeric(r[[f]])
}
for (f in fields) {
  write.table(out[[f]], file.path(outdir, paste0(f, ".csv")), sep = ",", na = "NaN",
              row.names = FALSE, col.names = FALSE)
}
writeLines(paste(format(elapsed, digits = 6), format(cpu, digits = 6)),
           file.path(outdir, "elapsed.txt"))
