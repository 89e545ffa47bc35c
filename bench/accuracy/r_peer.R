# Accuracy benchmark peers in R, on the sets' CSV files as they are (text columns, missing
# cells): a random forest (randomForest, 500 trees) and a linear model (lm for regression,
# glm binomial for two classes, nnet::multinom for more). Missing cells get the training
# median (numbers) or most frequent value (text); text columns with more than 53 distinct
# values (identifiers; the forest's limit) and with one value are left out.
#
# Usage: Rscript r_peer.R forest|linear classify|regress TRAIN.csv TEST.csv LABELS SEED OUT
# Writes OUT (one prediction per test row: the class name, or the values) and OUT.time
# (seconds spent fitting).
args <- commandArgs(TRUE)
model <- args[1]; task <- args[2]; labels <- strsplit(args[5], ",")[[1]]
seed <- as.integer(args[6]); out <- args[7]
read <- function(f) read.csv(f, na.strings = "NA", check.names = FALSE,
                             stringsAsFactors = TRUE)
train <- read(args[3]); test <- read(args[4])
features <- setdiff(names(train), labels)
keep <- c()
for (c in features) {
  x <- train[[c]]
  if (is.factor(x) && (nlevels(x) > 53 || nlevels(droplevels(x)) < 2)) next
  if (is.factor(x) || is.logical(x)) {
    lv <- levels(factor(x))
    fill <- names(which.max(table(x)))
    tr <- as.character(x); te <- as.character(test[[c]])
    tr[is.na(tr)] <- fill; te[is.na(te) | !(te %in% lv)] <- fill
    train[[c]] <- factor(tr, levels = lv); test[[c]] <- factor(te, levels = lv)
  } else {
    fill <- median(x, na.rm = TRUE)
    if (is.na(fill)) next
    x[is.na(x)] <- fill; t <- as.numeric(test[[c]]); t[is.na(t)] <- fill
    if (model == "linear") { # scaled: multinom converges; lm and glm are unchanged
      s <- sd(x); if (!is.finite(s) || s == 0) s <- 1
      m <- mean(x); x <- (x - m) / s; t <- (t - m) / s
    }
    train[[c]] <- x; test[[c]] <- t
  }
  keep <- c(keep, c)
}
X <- train[, keep, drop = FALSE]; Xt <- test[, keep, drop = FALSE]
set.seed(seed)
pred <- NULL
secs <- system.time({
  if (task == "classify") {
    y <- factor(as.character(train[[labels[1]]]))
    if (model == "forest") {
      suppressMessages(library(randomForest))
      fit <- randomForest(X, y, ntree = 500)
      pred <- as.character(predict(fit, Xt))
    } else if (nlevels(y) == 2) {
      d <- cbind(X, .y = as.integer(y == levels(y)[2]))
      fit <- suppressWarnings(glm(.y ~ ., data = d, family = binomial))
      p <- suppressWarnings(predict(fit, Xt, type = "response"))
      pred <- ifelse(p > 0.5, levels(y)[2], levels(y)[1])
    } else {
      suppressMessages(library(nnet))
      d <- cbind(X, .y = y)
      fit <- multinom(.y ~ ., data = d, maxit = 1000, MaxNWts = 100000, trace = FALSE)
      pred <- as.character(predict(fit, Xt))
    }
  } else {
    cols <- list()
    for (l in labels) {
      y <- train[[l]]
      if (model == "forest") {
        suppressMessages(library(randomForest))
        cols[[l]] <- predict(randomForest(X, y, ntree = 500), Xt)
      } else {
        d <- cbind(X, .y = y)
        cols[[l]] <- suppressWarnings(predict(lm(.y ~ ., data = d), Xt))
      }
    }
    pred <- do.call(cbind, cols)
  }
})[["elapsed"]]
if (is.matrix(pred)) {
  write.table(pred, out, row.names = FALSE, col.names = FALSE)
} else {
  writeLines(as.character(pred), out)
}
writeLines(format(secs), paste0(out, ".time"))
