package batch

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Status values of a Record.
const (
	StatusStarted = "started" // the item was begun (a later record says how it ended)
	StatusDone    = "done"    // the output was written
	StatusFailed  = "failed"  // the item failed; Error says why
	StatusSkipped = "skipped" // the output and a matching done record were there
)

// Record is one line of a shard's status file.
type Record struct {
	Item   string  `json:"item"`             // Item.ID
	Line   int     `json:"line"`             // Item.Line when recorded
	Key    string  `json:"key"`              // Item.Key
	Status string  `json:"status"`           // StatusStarted, …
	Loss   float64 `json:"loss,omitempty"`   // final total loss (the last frame's for video)
	Time   float64 `json:"time"`             // wall time of the item in seconds
	Device string  `json:"device,omitempty"` // where the network ran
	Error  string  `json:"error,omitempty"`  // why it failed
	Frames int     `json:"frames,omitempty"` // frames written, for a video item
	Stop   string  `json:"stop,omitempty"`   // why the optimization ended: converged, iteration limit, …
	Shard  string  `json:"shard"`            // "I/N"
	Host   string  `json:"host,omitempty"`
	At     string  `json:"at"` // RFC 3339 UTC time of the record
}

// StatusPath is the status file of shard index under outDir:
// <outDir>/.status/shard-<index>.jsonl.
func StatusPath(outDir string, index int) string {
	return filepath.Join(outDir, ".status", fmt.Sprintf("shard-%d.jsonl", index))
}

// StatusLog appends records to one status file. Each record is one write
// of one line, synced, so a process killed at any moment leaves at most a
// truncated last line, which ReadStatus ignores.
type StatusLog struct {
	f     *os.File
	shard string
	host  string
}

// OpenStatus opens (creating it and its folder) the status file of shard
// s under outDir for appending.
func OpenStatus(outDir string, s Shard) (*StatusLog, error) {
	p := StatusPath(outDir, s.Index)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("batch: status: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("batch: status: %w", err)
	}
	host, _ := os.Hostname()
	return &StatusLog{f: f, shard: s.String(), host: host}, nil
}

// Append writes r (with its shard, host and time filled in).
func (l *StatusLog) Append(r Record) error {
	r.Shard, r.Host, r.At = l.shard, l.host, time.Now().UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("batch: status %s: %w", l.f.Name(), err)
	}
	return l.f.Sync()
}

// Close closes the file.
func (l *StatusLog) Close() error { return l.f.Close() }

// ReadStatus reads every shard's status file under outDir and returns the
// records of each item, in the order written (files in name order). A line
// that does not parse, such as the last line of a process killed while
// writing it, is skipped and counted in bad.
func ReadStatus(outDir string) (byItem map[string][]Record, bad int, err error) {
	files, err := filepath.Glob(filepath.Join(outDir, ".status", "shard-*.jsonl"))
	if err != nil {
		return nil, 0, err
	}
	byItem = map[string][]Record{}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return nil, 0, fmt.Errorf("batch: status: %w", err)
		}
		n, err := readRecords(f, byItem)
		f.Close()
		if err != nil {
			return nil, 0, fmt.Errorf("batch: status %s: %w", p, err)
		}
		bad += n
	}
	return byItem, bad, nil
}

func readRecords(r io.Reader, byItem map[string][]Record) (bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var rec Record
		if json.Unmarshal([]byte(text), &rec) != nil || rec.Item == "" {
			bad++
			continue
		}
		byItem[rec.Item] = append(byItem[rec.Item], rec)
	}
	return bad, sc.Err()
}

// Latest returns the last record of recs about key that is not
// StatusSkipped, and whether there is one.
func Latest(recs []Record, key string) (Record, bool) {
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Key == key && recs[i].Status != StatusSkipped {
			return recs[i], true
		}
	}
	return Record{}, false
}

// Done reports whether it is finished: its latest record (Latest) is
// StatusDone and its output is there (an image file, or a frame folder with
// the recorded frames, named by frameName).
func Done(it *Item, recs []Record, frameName func(int) string) bool {
	r, ok := Latest(recs, it.Key)
	if !ok || r.Status != StatusDone {
		return false
	}
	fi, err := os.Stat(it.Out)
	if err != nil {
		return false
	}
	if !it.Video {
		return fi.Mode().IsRegular()
	}
	if !fi.IsDir() || r.Frames < 1 || frameName == nil {
		return false
	}
	for i := 1; i <= r.Frames; i++ {
		if _, err := os.Stat(filepath.Join(it.Out, frameName(i))); err != nil {
			return false
		}
	}
	return true
}
