package batch

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestSelectShard(t *testing.T) {
	tests := []struct {
		name   string
		flag   string
		shards int
		env    func(string) string
		want   string // "I/N", or "" for an error
		source string
	}{
		{"flag", "2/4", 0, env(), "2/4", "-shard 2/4"},
		{"flag wins over slurm", "0/2", 0, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "2"), "0/2", "-shard"},
		{"flag index too large", "4/4", 0, env(), "", ""},
		{"flag negative", "-1/4", 0, env(), "", ""},
		{"flag not I/N", "3", 0, env(), "", ""},
		{"flag and -shards", "0/2", 2, env(), "", ""},
		{"slurm 0-based", "", 0, env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "0"), "3/4", "SLURM_ARRAY_TASK_ID=3"},
		{"slurm 1-based", "", 0, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "8", "SLURM_ARRAY_TASK_MIN", "1"), "0/8", "SLURM"},
		{"slurm stepped", "", 0, env("SLURM_ARRAY_TASK_ID", "14", "SLURM_ARRAY_TASK_COUNT", "8", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_STEP", "2"), "7/8", "SLURM"},
		{"slurm irregular list", "", 0, env("SLURM_ARRAY_TASK_ID", "9", "SLURM_ARRAY_TASK_COUNT", "3", "SLURM_ARRAY_TASK_MIN", "1"), "", ""},
		{"slurm without count", "", 0, env("SLURM_ARRAY_TASK_ID", "0"), "", ""},
		{"kubernetes", "", 5, env("JOB_COMPLETION_INDEX", "4"), "4/5", "JOB_COMPLETION_INDEX=4 with -shards 5"},
		{"kubernetes index 0", "", 1, env("JOB_COMPLETION_INDEX", "0"), "0/1", "JOB_COMPLETION_INDEX"},
		{"kubernetes without -shards", "", 0, env("JOB_COMPLETION_INDEX", "1"), "", ""},
		{"kubernetes index beyond completions", "", 3, env("JOB_COMPLETION_INDEX", "3"), "", ""},
		{"kubernetes bad index", "", 3, env("JOB_COMPLETION_INDEX", "x"), "", ""},
		{"slurm wins over kubernetes", "", 0, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "2", "JOB_COMPLETION_INDEX", "0"), "1/2", "SLURM"},
		{"-shards alone", "", 3, env(), "", ""},
		{"nothing: whole manifest", "", 0, env(), "0/1", "whole manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := SelectShard(tc.flag, tc.shards, tc.env)
			if tc.want == "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrShard)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, s.String())
			assert.Contains(t, s.Source, tc.source)
		})
	}
}

// Every item lands in exactly one shard, shards are balanced by cost,
// and items of one group stay together.
func TestPartition(t *testing.T) {
	mk := func(groups ...string) []Item {
		var items []Item
		for i, g := range groups {
			items = append(items, Item{Line: i + 1, Facts: Facts{Group: g, W: 10, H: 10, Cost: 1}})
		}
		return items
	}
	tests := []struct {
		name  string
		items []Item
		n     int
		want  [][]int // item indices per shard
	}{
		{"one shard", mk("a", "b", "a"), 1, [][]int{{0, 2, 1}}},
		{"groups kept together", mk("a", "b", "a", "b"), 2, [][]int{{0, 2}, {1, 3}}},
		{"more shards than items", mk("a", "a"), 4, [][]int{nil, {0}, nil, {1}}},
		{"balanced", mk("a", "a", "a", "a", "a", "a", "a"), 3, [][]int{{0, 1}, {2, 3, 4}, {5, 6}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Partition(tc.items, tc.n)
			assert.Equal(t, tc.want, got)
		})
	}
	// A large, uneven case: a partition of the items, costs within one
	// item's cost of the mean.
	var items []Item
	for i := range 1000 {
		items = append(items, Item{Line: i + 1, Facts: Facts{Group: fmt.Sprint(i % 7), W: 1 + i%3, H: 1, Cost: float64(1 + i%5)}})
	}
	for _, n := range []int{1, 2, 3, 8, 64} {
		parts := Partition(items, n)
		seen := map[int]int{}
		total := 0.0
		for _, p := range parts {
			for _, i := range p {
				seen[i]++
				total += items[i].Facts.Cost
			}
		}
		require.Len(t, seen, len(items))
		for i, c := range seen {
			require.Equal(t, 1, c, "item %d", i)
		}
		for s, p := range parts {
			c := 0.0
			for _, i := range p {
				c += items[i].Facts.Cost
			}
			assert.InDelta(t, total/float64(n), c, 5, "shard %d of %d", s, n)
		}
	}
}
