package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/internal/batch"
)

// slurmBound bounds every wait of the Slurm test (a hang fails the test;
// nothing is asserted about durations).
const slurmBound = 3 * time.Minute

// cluster is a single-node Slurm (munged, slurmctld, slurmd) started by the
// test as root, with its configuration and state in a temporary folder.
type cluster struct {
	dir, conf string
	env       []string
}

// startCluster installs Slurm and munge when missing (scripts/slurm.sh)
// and starts the three daemons; t.Cleanup stops each by its pid.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	out, err := exec.Command("../../scripts/slurm.sh").CombinedOutput()
	require.NoError(t, err, "scripts/slurm.sh: %s", out)
	require.Equal(t, 0, os.Geteuid(), "the Slurm test starts slurmd and slurmctld, which need root")

	dir, err := os.MkdirTemp("", "nsslurm")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	c := &cluster{dir: dir, conf: filepath.Join(dir, "slurm.conf")}
	c.env = append(os.Environ(), "SLURM_CONF="+c.conf, "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")

	sock := filepath.Join(dir, "munge.sock")
	key := filepath.Join(dir, "munge.key")
	c.cmd(t, "mungekey", "-c", "-b", "1024", "-k", key)
	require.NoError(t, os.Chmod(key, 0o600))
	c.daemon(t, "munged", "-F", "-f", "--socket="+sock, "--key-file="+key, "--pid-file="+filepath.Join(dir, "munged.pid"),
		"--seed-file="+filepath.Join(dir, "munged.seed"), "--log-file="+filepath.Join(dir, "munged.log"))
	c.waitFor(t, "munged's socket", func() bool { _, err := os.Stat(sock); return err == nil })

	host, err := os.Hostname()
	require.NoError(t, err)
	host, _, _ = strings.Cut(host, ".")
	for _, d := range []string{"state", "spool"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, d), 0o755))
	}
	conf := fmt.Sprintf(`ClusterName=nstest
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[3]d
SlurmdPort=%[4]d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=%[2]s/munge.sock
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
StateSaveLocation=%[2]s/state
SlurmdSpoolDir=%[2]s/spool
SlurmctldPidFile=%[2]s/slurmctld.pid
SlurmdPidFile=%[2]s/slurmd.pid
SlurmctldLogFile=%[2]s/slurmctld.log
SlurmdLogFile=%[2]s/slurmd.log
ReturnToService=2
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=%[5]d State=UNKNOWN
PartitionName=test Nodes=%[1]s Default=YES MaxTime=INFINITE State=UP
`, host, dir, freePort(t), freePort(t), max(1, numCPU()))
	require.NoError(t, os.WriteFile(c.conf, []byte(conf), 0o644))
	c.daemon(t, "slurmctld", "-D", "-i", "-f", c.conf)
	c.daemon(t, "slurmd", "-D", "-f", c.conf)
	c.waitFor(t, "the node to be idle", func() bool {
		out, err := c.output("sinfo", "-h", "-o", "%t")
		return err == nil && strings.TrimSpace(out) == "idle"
	})
	return c
}

func numCPU() int {
	out, err := exec.Command("nproc").Output()
	if n, err2 := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && err2 == nil {
		return n
	}
	return 1
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (c *cluster) cmd(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := c.output(name, args...)
	require.NoError(t, err, "%s %v: %s", name, args, out)
}

func (c *cluster) output(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// daemon starts a foreground daemon and registers its stop: SIGTERM to its
// pid, then SIGKILL if it has not exited within the bound.
func (c *cluster) daemon(t *testing.T, name string, args ...string) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		path = "/usr/sbin/" + name
	}
	log, err := os.Create(filepath.Join(c.dir, name+".out"))
	require.NoError(t, err)
	cmd := exec.Command(path, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = c.env, log, log
	require.NoError(t, cmd.Start(), name)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(slurmBound):
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		log.Close()
		if t.Failed() {
			for _, f := range []string{name + ".out", name + ".log"} {
				if b, err := os.ReadFile(filepath.Join(c.dir, f)); err == nil {
					t.Logf("%s:\n%s", f, tail(string(b), 2000))
				}
			}
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitFor polls cond until it holds; past slurmBound the test fails.
func (c *cluster) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(slurmBound)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "gave up waiting for "+what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// submit runs scripts/slurm/batch.sbatch as an array job of n tasks with
// this test binary as $STYLIZE, waits until it has left the queue, and
// returns the job id. extra is added to the job's environment.
func (c *cluster) submit(t *testing.T, manifest string, n int, extra ...string) string {
	t.Helper()
	id := c.start(t, manifest, n, extra...)
	c.wait(t, id)
	return id
}

// start submits the array job (as submit) and returns at once.
func (c *cluster) start(t *testing.T, manifest string, n int, extra ...string) string {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	weights, err := filepath.Abs(fixtureWeights)
	require.NoError(t, err)
	sbatch, err := filepath.Abs("../../scripts/slurm/batch.sbatch")
	require.NoError(t, err)
	cmd := exec.Command("sbatch", "--parsable", fmt.Sprintf("--array=0-%d", n-1), "--chdir="+c.dir,
		"--output="+filepath.Join(c.dir, "job-%A_%a.out"), sbatch, manifest, "-weights", weights)
	cmd.Env = append(append(c.env, "STYLIZE="+self, "STYLIZE_TEST_MAIN=1", "STYLIZE_THREADS=1"), extra...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "sbatch: %s", out)
	return strings.TrimSpace(string(out))
}

// wait waits until job id has left the queue.
func (c *cluster) wait(t *testing.T, id string) {
	t.Helper()
	c.waitFor(t, "job "+id, func() bool {
		out, err := c.output("squeue", "-h", "-j", id, "-o", "%i")
		return err == nil && strings.TrimSpace(out) == "" || strings.Contains(out, "Invalid job id")
	})
}

// jobLogs returns the output files of job id, for failure messages.
func (c *cluster) jobLogs(id string) string {
	files, _ := filepath.Glob(filepath.Join(c.dir, "job-"+id+"_*.out"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		fmt.Fprintf(&b, "== %s\n%s", filepath.Base(f), tail(string(data), 1500))
	}
	return b.String()
}

// counts returns, for every item, how many records of each status the
// status files hold.
func counts(t *testing.T, outDir string) map[string]map[string]int {
	t.Helper()
	recs, bad, err := batch.ReadStatus(outDir)
	require.NoError(t, err)
	require.Zero(t, bad)
	out := map[string]map[string]int{}
	for item, rs := range recs {
		out[item] = map[string]int{}
		for _, r := range rs {
			out[item][r.Status]++
		}
	}
	return out
}

// leftovers lists the temporary files in dir.
func leftovers(t *testing.T, dir string) []string {
	var tmp []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			tmp = append(tmp, p)
		}
		return err
	}))
	return tmp
}

// The array job over a real single-node Slurm: every output is written
// once, a re-submission skips everything, and a task killed (SIGKILL) in
// the middle of an item leaves no partial file and is finished by the
// next submission.
func TestSlurmBatch(t *testing.T) {
	c := startCluster(t)

	for _, kill := range []bool{false, true} {
		name := map[bool]string{false: "complete", true: "killed"}[kill]
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(c.dir, name)
			require.NoError(t, os.Mkdir(dir, 0o755))
			writeImage(t, dir, "a.png", 48, 40, "gradient")
			writeImage(t, dir, "b.png", 40, 48, "gradient")
			writeImage(t, dir, "style.png", 40, 40, "stripes")
			writeImage(t, dir, "style2.png", 32, 48, "gradient")
			var items []map[string]any
			var ids []string
			for i := range 7 {
				it := map[string]any{"content": []string{"a.png", "b.png"}[i%2], "style": "style.png",
					"out": fmt.Sprintf("out/%d.png", i), "options": map[string]any{"max-size": 32, "iterations": 3}}
				if i == 5 {
					it["style"] = []string{"style.png", "style2.png"}
				}
				items = append(items, it)
				ids = append(ids, fmt.Sprintf("out/%d.png", i))
			}
			m := writeManifest(t, dir, "m.jsonl", items)
			outDir := filepath.Join(dir, "out")

			victim := "out/3.png"
			if kill {
				marker := filepath.Join(c.dir, "paused.pid")
				// The job leaves the queue only after the kill.
				jid := c.start(t, m, 3, "STYLIZE_TEST_PAUSE_ITEM="+victim, "STYLIZE_TEST_PAUSE_MARKER="+marker)
				c.waitFor(t, "the task to reach "+victim, func() bool { _, err := os.Stat(marker); return err == nil })
				b, err := os.ReadFile(marker)
				require.NoError(t, err)
				pid, err := strconv.Atoi(string(b))
				require.NoError(t, err)
				require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
				c.wait(t, jid)
				got := counts(t, outDir)
				assert.Equal(t, map[string]int{batch.StatusStarted: 1}, got[victim], c.jobLogs(jid))
				assert.NoFileExists(t, filepath.Join(dir, victim))
				assert.Empty(t, leftovers(t, dir))
				var rep bytes.Buffer
				code := dispatch(context.Background(), []string{"batch", "-report", "-manifest", m, "-weights", fixtureWeights}, &rep, &rep)
				assert.Equal(t, 0, code)
				assert.Contains(t, rep.String(), "pending: line 4 "+victim)
			}

			// A complete run: every item done exactly once.
			jid := c.submit(t, m, 3)
			got := counts(t, outDir)
			for _, id := range ids {
				assert.Equal(t, 1, got[id][batch.StatusDone], "%s: %v\n%s", id, got[id], c.jobLogs(jid))
				assert.FileExists(t, filepath.Join(dir, id))
			}
			assert.Empty(t, leftovers(t, dir))
			if kill {
				for _, id := range ids {
					if id != victim {
						assert.Equal(t, map[string]int{batch.StatusDone: 1, batch.StatusStarted: 1, batch.StatusSkipped: 1}, got[id], id)
					}
				}
				return
			}

			// Re-submission: everything skipped, nothing redone.
			jid = c.submit(t, m, 3)
			got = counts(t, outDir)
			for _, id := range ids {
				assert.Equal(t, map[string]int{batch.StatusStarted: 1, batch.StatusDone: 1, batch.StatusSkipped: 1}, got[id], "%s\n%s", id, c.jobLogs(jid))
			}
			logs := c.jobLogs(jid)
			assert.Contains(t, logs, "SLURM_ARRAY_TASK_ID=2 of SLURM_ARRAY_TASK_COUNT=3")
		})
	}
}
