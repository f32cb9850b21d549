package batch

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrShard matches the errors of SelectShard.
var ErrShard = errors.New("batch: invalid shard")

// Shard is one of Count shards of a manifest, numbered from 0, and where
// that number came from.
type Shard struct {
	Index, Count int
	// Source says where Index and Count came from, for the log.
	Source string
}

// String returns "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// SelectShard decides which shard this process runs, from, in order:
//   - flagShard, "I/N" with 0 ≤ I < N (the -shard flag);
//   - Slurm's SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (with
//     SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_STEP, so that --array=1-8
//     or 0-14:2 number the shards 0 … N−1 too);
//   - Kubernetes' JOB_COMPLETION_INDEX (an Indexed Job) with flagShards,
//     the -shards flag, which must equal the Job's completions;
//   - else shard 0 of 1: the whole manifest.
//
// getenv is os.Getenv in the command.
func SelectShard(flagShard string, flagShards int, getenv func(string) string) (Shard, error) {
	if flagShards < 0 {
		return Shard{}, fmt.Errorf("%w: -shards %d: want N ≥ 1", ErrShard, flagShards)
	}
	if flagShard != "" {
		if flagShards != 0 {
			return Shard{}, fmt.Errorf("%w: -shard %s and -shards %d: give one (-shards goes with JOB_COMPLETION_INDEX)", ErrShard, flagShard, flagShards)
		}
		a, b, ok := strings.Cut(flagShard, "/")
		i, err1 := strconv.Atoi(strings.TrimSpace(a))
		n, err2 := strconv.Atoi(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			return Shard{}, fmt.Errorf("%w: -shard %q: want I/N with 0 ≤ I < N, such as 0/4", ErrShard, flagShard)
		}
		return Shard{Index: i, Count: n, Source: "-shard " + flagShard}, nil
	}
	if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		num := func(name, def string) (int, error) {
			v := getenv(name)
			if v == "" {
				v = def
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, fmt.Errorf("%w: %s=%q is not a number", ErrShard, name, v)
			}
			return n, nil
		}
		vals := map[string]int{}
		for _, e := range [][2]string{{"SLURM_ARRAY_TASK_ID", ""}, {"SLURM_ARRAY_TASK_COUNT", ""}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_STEP", "1"}} {
			n, err := num(e[0], e[1])
			if err != nil {
				return Shard{}, err
			}
			vals[e[0]] = n
		}
		id, count, lo, step := vals["SLURM_ARRAY_TASK_ID"], vals["SLURM_ARRAY_TASK_COUNT"], vals["SLURM_ARRAY_TASK_MIN"], vals["SLURM_ARRAY_TASK_STEP"]
		if count < 1 || step < 1 || id < lo || (id-lo)%step != 0 || (id-lo)/step >= count {
			return Shard{}, fmt.Errorf("%w: SLURM_ARRAY_TASK_ID=%d with COUNT=%d, MIN=%d, STEP=%d does not number the tasks 0 … COUNT−1: "+
				"submit with a regular --array such as 0-%d, or pass -shard I/N", ErrShard, id, count, lo, step, max(count, 1)-1)
		}
		return Shard{Index: (id - lo) / step, Count: count,
			Source: fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d of SLURM_ARRAY_TASK_COUNT=%d", id, count)}, nil
	}
	if v := getenv("JOB_COMPLETION_INDEX"); v != "" {
		i, err := strconv.Atoi(v)
		switch {
		case err != nil || i < 0:
			return Shard{}, fmt.Errorf("%w: JOB_COMPLETION_INDEX=%q: want an index ≥ 0", ErrShard, v)
		case flagShards == 0:
			return Shard{}, fmt.Errorf("%w: JOB_COMPLETION_INDEX=%d needs -shards N, the Job's completions", ErrShard, i)
		case i >= flagShards:
			return Shard{}, fmt.Errorf("%w: JOB_COMPLETION_INDEX=%d with -shards %d: want an index below the shard count (is -shards the Job's completions?)", ErrShard, i, flagShards)
		}
		return Shard{Index: i, Count: flagShards, Source: fmt.Sprintf("JOB_COMPLETION_INDEX=%d with -shards %d", i, flagShards)}, nil
	}
	if flagShards != 0 {
		return Shard{}, fmt.Errorf("%w: -shards %d without JOB_COMPLETION_INDEX: use -shard I/N", ErrShard, flagShards)
	}
	return Shard{Index: 0, Count: 1, Source: "no -shard, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX: the whole manifest"}, nil
}

// Order returns the indices of items in the order that makes the most of
// graph reuse: by Facts.Group, then output size, then line.
func Order(items []Item) []int {
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := items[a].Facts, items[b].Facts
		if c := strings.Compare(x.Group, y.Group); c != 0 {
			return c
		}
		if c := x.W*x.H - y.W*y.H; c != 0 {
			return -c // large first: the longest items start early
		}
		if c := x.W - y.W; c != 0 {
			return c
		}
		return items[a].Line - items[b].Line
	})
	return idx
}

// Partition splits items into n shards: it orders them (Order) and cuts
// that sequence into n contiguous runs of about equal total Facts.Cost, so
// that items sharing a graph mostly land in one shard and every shard has
// about the same work. Item k (in Order) goes to the shard in which the
// middle of its cost falls. Every item is in exactly one shard; a shard may
// be empty when there are fewer items than shards. The result depends only
// on the items, so every task of an array computes the same split.
func Partition(items []Item, n int) [][]int {
	out := make([][]int, n)
	if n < 1 {
		return out
	}
	order := Order(items)
	cost := func(i int) float64 {
		if c := items[i].Facts.Cost; c > 0 {
			return c
		}
		return 1
	}
	total := 0.0
	for _, i := range order {
		total += cost(i)
	}
	sum := 0.0
	for _, i := range order {
		mid := sum + cost(i)/2
		sum += cost(i)
		s := int(mid / total * float64(n))
		s = min(max(s, 0), n-1)
		out[s] = append(out[s], i)
	}
	return out
}
