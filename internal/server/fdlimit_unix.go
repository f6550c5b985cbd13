//go:build unix

package server

import "syscall"

// fdLimit is the process's file descriptor limit (the soft RLIMIT_NOFILE,
// which the Go runtime raises to the hard limit at start), 0 if unknown.
func fdLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return uint64(rl.Cur)
}
