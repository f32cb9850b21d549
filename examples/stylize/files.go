package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// checkWritable reports, before any work is done, whether a file can be
// written at path: its directory exists and accepts new files (tried by
// creating and removing an empty temporary file there), and path itself is
// not a directory or other non-regular file.
func checkWritable(flagName, path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %q: directory %q does not exist", flagName, path, dir)
	case err != nil:
		return fmt.Errorf("%s %q: %w", flagName, path, err)
	case !fi.IsDir():
		return fmt.Errorf("%s %q: %q is not a directory", flagName, path, dir)
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s %q: exists and is not a regular file", flagName, path)
	}
	f, err := os.CreateTemp(dir, ".stylize-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s %q: cannot create files in %q: %w", flagName, path, dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// pendingFile is a file written completely (and synced) under a temporary
// name in its destination's directory, not yet renamed into place.
type pendingFile struct {
	path, tmp string
	existed   bool
}

// writePending writes a temporary file beside path with write. On failure
// nothing is left behind. A new file gets mode 0644; one that replaces an
// existing file keeps that file's mode.
func writePending(path string, write func(io.Writer) error) (_ *pendingFile, err error) {
	perm := os.FileMode(0o644)
	p := &pendingFile{path: path}
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%q exists and is not a regular file", path)
		}
		perm, p.existed = fi.Mode().Perm(), true
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("writing %q: %w", path, err)
	}
	p.tmp = f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(p.tmp)
			err = fmt.Errorf("writing %q: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return p, nil
}

// discard removes the temporary file of a pending file not committed.
func (p *pendingFile) discard() {
	if p != nil && p.tmp != "" {
		os.Remove(p.tmp)
		p.tmp = ""
	}
}

// commitAll renames the pending files into place, in order. If a rename
// fails, the files not yet renamed are discarded and those already renamed
// that did not exist before are removed again, so that a failed command
// leaves no new output behind (a replaced file cannot be restored, but it
// was replaced by a complete one).
func commitAll(files ...*pendingFile) error {
	for i, p := range files {
		if err := os.Rename(p.tmp, p.path); err != nil {
			for _, q := range files[i:] {
				q.discard()
			}
			for _, q := range files[:i] {
				if !q.existed {
					os.Remove(q.path)
				}
			}
			return fmt.Errorf("writing %q: %w", p.path, err)
		}
		p.tmp = ""
	}
	for _, dir := range uniqueDirs(files) {
		syncDir(dir)
	}
	return nil
}

func uniqueDirs(files []*pendingFile) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range files {
		d := filepath.Dir(p.path)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// syncDir makes the renames durable where the platform can sync a
// directory; a failure is ignored because the files themselves are complete.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
