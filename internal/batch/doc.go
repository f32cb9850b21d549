// Package batch is the machinery of `stylize batch`: a JSON Lines manifest
// checked before any work (Load), the split of its items into shards
// (SelectShard, Partition), the shard's status file (Record, ReadStatus),
// atomic output files (WriteFile) and the loop that runs one shard (Runner)
// and the summary of all shards (Summarize). It knows nothing of TensorFlow:
// the command supplies the option check and the work of one item.
package batch
