package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Outcome is what processing one item produced.
type Outcome struct {
	Loss   float64 // final total loss
	Device string  // where the network ran
	Frames int     // frames written, for a video item
	Stop   string  // why the optimization ended (style.StopReason), "" if not known
}

// Runner runs one shard of a manifest.
type Runner struct {
	Manifest *Manifest
	Shard    Shard
	// OutDir holds the status files; default Manifest.OutDir().
	OutDir string
	// Process does one item and writes its output atomically. resume is
	// true when the item's latest record is an unfinished or failed run of
	// the same item, so that completed parts (a video's frames) may be kept.
	Process func(ctx context.Context, it *Item, resume bool) (Outcome, error)
	// FrameName names frame i (1-based) of a video item's output folder.
	FrameName func(int) string
	// Log receives one line per item; nil discards.
	Log io.Writer
}

// Summary counts what a Runner did.
type Summary struct {
	Items, Done, Skipped, Failed int
	Elapsed                      time.Duration
}

// ErrFailed matches the error of Run when some items failed.
var ErrFailed = errors.New("batch: some items failed")

// Run processes the shard's items in Partition's order. An item whose
// output exists and whose latest record is a matching StatusDone is
// skipped; every other item is recorded as started, then done or failed.
// A failing item does not stop the shard; the error wraps ErrFailed when
// any failed. A cancelled ctx stops at once (the item in progress writes
// nothing) with an error wrapping ctx.Err().
func (r *Runner) Run(ctx context.Context) (Summary, error) {
	start := time.Now()
	log := r.Log
	if log == nil {
		log = io.Discard
	}
	outDir := r.OutDir
	if outDir == "" {
		outDir = r.Manifest.OutDir()
	}
	parts := Partition(r.Manifest.Items, r.Shard.Count)
	mine := parts[r.Shard.Index]
	sum := Summary{Items: len(mine)}
	fmt.Fprintf(log, "shard %s (%s): %d of %d items; status in %s\n",
		r.Shard, r.Shard.Source, len(mine), len(r.Manifest.Items), StatusPath(outDir, r.Shard.Index))
	recs, bad, err := ReadStatus(outDir)
	if err != nil {
		return sum, err
	}
	if bad > 0 {
		fmt.Fprintf(log, "status: ignored %d unreadable line(s) (a process killed while writing)\n", bad)
	}
	st, err := OpenStatus(outDir, r.Shard)
	if err != nil {
		return sum, err
	}
	defer st.Close()
	var prev *Facts
	for k, i := range mine {
		it := &r.Manifest.Items[i]
		tag := fmt.Sprintf("[%d/%d] line %d %s", k+1, len(mine), it.Line, it.ID)
		if Done(it, recs[it.ID], r.FrameName) {
			sum.Skipped++
			fmt.Fprintf(log, "%s: skipped (done before)\n", tag)
			if err := st.Append(Record{Item: it.ID, Line: it.Line, Key: it.Key, Status: StatusSkipped}); err != nil {
				return sum, err
			}
			continue
		}
		last, had := Latest(recs[it.ID], it.Key)
		resume := had && last.Status != StatusDone
		if n := RemoveTemp(it.Out); n > 0 {
			fmt.Fprintf(log, "%s: removed %d temporary file(s) of an interrupted run\n", tag, n)
		}
		if err := st.Append(Record{Item: it.ID, Line: it.Line, Key: it.Key, Status: StatusStarted}); err != nil {
			return sum, err
		}
		reuse := ""
		if prev != nil && prev.Group == it.Facts.Group && prev.W == it.Facts.W && prev.H == it.Facts.H {
			reuse = ", same graph as the previous item"
		}
		prev = &it.Facts
		t0 := time.Now()
		out, err := r.Process(ctx, it, resume)
		secs := time.Since(t0).Seconds()
		if err != nil && ctx.Err() != nil {
			return sum, fmt.Errorf("batch: stopped during %s: %w", tag, ctx.Err())
		}
		rec := Record{Item: it.ID, Line: it.Line, Key: it.Key, Status: StatusDone, Loss: out.Loss, Time: secs, Device: out.Device, Frames: out.Frames, Stop: out.Stop}
		if err != nil {
			rec.Status, rec.Error = StatusFailed, oneLine(err.Error())
			sum.Failed++
			fmt.Fprintf(log, "%s: failed after %.1fs: %s\n", tag, secs, rec.Error)
		} else {
			sum.Done++
			stop := ""
			if out.Stop != "" {
				stop = " (" + out.Stop + ")"
			}
			fmt.Fprintf(log, "%s: done in %.1fs%s, loss %.4g on %s%s\n", tag, secs, stop, out.Loss, out.Device, reuse)
		}
		if err := st.Append(rec); err != nil {
			return sum, err
		}
	}
	sum.Elapsed = time.Since(start)
	fmt.Fprintf(log, "shard %s: %d done, %d skipped, %d failed in %.1fs\n", r.Shard, sum.Done, sum.Skipped, sum.Failed, sum.Elapsed.Seconds())
	if sum.Failed > 0 {
		return sum, fmt.Errorf("%w: %d of %d in shard %s (see %s)", ErrFailed, sum.Failed, len(mine), r.Shard, StatusPath(outDir, r.Shard.Index))
	}
	return sum, nil
}

func oneLine(s string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s))
}

// Report is the state of a whole manifest, from every shard's status file.
type Report struct {
	Items                 int
	Done, Failed, Pending []*Item
	Errors                map[string]string  // item ID → error of its latest failure
	Times                 map[string]float64 // item ID → seconds of its done run
	BadLines              int                // unreadable status lines
	OutDir                string
}

// Summarize reads the status files under outDir (default m.OutDir()) and
// classifies every item: done (Done), failed (latest record failed), or
// pending (everything else: never started, started and killed, or changed
// since it was done).
func Summarize(m *Manifest, outDir string, frameName func(int) string) (*Report, error) {
	if outDir == "" {
		outDir = m.OutDir()
	}
	recs, bad, err := ReadStatus(outDir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Items: len(m.Items), Errors: map[string]string{}, Times: map[string]float64{}, BadLines: bad, OutDir: outDir}
	for i := range m.Items {
		it := &m.Items[i]
		last, ok := Latest(recs[it.ID], it.Key)
		switch {
		case Done(it, recs[it.ID], frameName):
			rep.Done = append(rep.Done, it)
			rep.Times[it.ID] = last.Time
		case ok && last.Status == StatusFailed:
			rep.Failed = append(rep.Failed, it)
			rep.Errors[it.ID] = last.Error
		default:
			rep.Pending = append(rep.Pending, it)
		}
	}
	return rep, nil
}

// Print writes the report: the counts, the time per done item (mean,
// median, largest, total) and the failed and pending items with their lines.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d items: %d done, %d failed, %d pending (status files in %s)\n",
		r.Items, len(r.Done), len(r.Failed), len(r.Pending), filepath.Join(r.OutDir, ".status"))
	if len(r.Done) > 0 {
		times := make([]float64, 0, len(r.Done))
		total := 0.0
		for _, it := range r.Done {
			times = append(times, r.Times[it.ID])
			total += r.Times[it.ID]
		}
		sort.Float64s(times)
		fmt.Fprintf(w, "time per done item: mean %.1fs, median %.1fs, max %.1fs; %.1fs in all\n",
			total/float64(len(times)), times[len(times)/2], slices.Max(times), total)
	}
	for _, it := range r.Failed {
		fmt.Fprintf(w, "failed: line %d %s: %s\n", it.Line, it.ID, r.Errors[it.ID])
	}
	for _, it := range r.Pending {
		fmt.Fprintf(w, "pending: line %d %s\n", it.Line, it.ID)
	}
	if r.BadLines > 0 {
		fmt.Fprintf(w, "%d unreadable status line(s) ignored\n", r.BadLines)
	}
}
