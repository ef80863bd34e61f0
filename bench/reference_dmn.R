# Reference fits of the Twins data with Holmes, Harris & Quince's own implementation, the
# Bioconductor package DirichletMultinomial, for chapter 05's comparison. Not run by CI.
#
# On Debian/Ubuntu (bookworm has R 4.2.2 and DirichletMultinomial 1.40.0):
#   apt-get install --no-install-recommends r-bioc-dirichletmultinomial
#   Rscript bench/reference_dmn.R
# Output on 2026-11-25 (this machine, 2 cores) is quoted in nbs/05_dirichlet.ipynb and bench/README.md.
suppressMessages(library(DirichletMultinomial))
fl <- system.file(package="DirichletMultinomial", "extdata", "Twins.csv")
count <- t(as.matrix(read.csv(fl, row.names=1)))
for (k in 1:6) {
  t0 <- proc.time()
  f <- dmn(count, k, seed=1)
  el <- (proc.time()-t0)[3]
  g <- f@goodnessOfFit
  w <- mixturewt(f)
  cat(sprintf("k=%d time=%.2f NLE=%.3f Laplace=%.2f BIC=%.2f AIC=%.2f\n", k, el, g["NLE"], g["Laplace"], g["BIC"], g["AIC"]))
  cat("  pi:", sprintf("%.3f", w$pi), " theta:", sprintf("%.4f", w$theta), "\n")
  }
