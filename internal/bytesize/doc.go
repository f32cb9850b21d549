// Package bytesize writes amounts of memory for people: the one format that
// neuralstyle's memory plans, memory errors and device descriptions share
// ("19.7 GiB", "95 MiB"). Parsing sizes (stylize -memory-limit) is
// github.com/dustin/go-humanize's ParseBytes.
package bytesize
