/* Confinement of the current process (SECURITY.md PARSE-12): no new
 * privileges, resource limits and a seccomp filter, for the processes
 * that parse untrusted documents (worker.c) and the one that starts
 * them.
 *
 * The filter is classic BPF through prctl(PR_SET_SECCOMP), so nothing
 * beyond the kernel headers is needed. Two profiles:
 *
 *  SANDBOX_PARSER   an allowlist: reading and writing descriptors already
 *                   open, memory (never executable), time, signals to
 *                   itself and exit. Opening files, stat, sockets, pipes,
 *                   dup and fcntl fail with EACCES (ioctl with ENOTTY), so
 *                   a library that tries gets an error it can report;
 *                   every other call (exec, fork, ptrace, kill, prctl...)
 *                   kills the process with SIGSYS. Also RLIMIT_CORE 0 and
 *                   an address-space limit.
 *  SANDBOX_SPAWNER  a denylist for the process that forks parsers: files,
 *                   sockets other than socketpair, exec and ptrace fail
 *                   with EACCES; everything else is allowed.
 *
 * Under AddressSanitizer the parser profile turns into the spawner's
 * kind of denylist (files, network and exec still fail) and no address
 * space limit is set: the sanitizer's runtime needs calls and address
 * space that the strict profile refuses. sandbox_strict() says which.
 *
 * Which descriptors stay open, and what the process does before it is
 * confined (loading what it will need later), is the caller's business.
 */
#ifndef CURATOR_SANDBOX_H
#define CURATOR_SANDBOX_H

#include <stddef.h>

enum sandbox_profile {
    SANDBOX_PARSER = 0,
    SANDBOX_SPAWNER = 1
};

struct sandbox_cfg {
    enum sandbox_profile profile;
    size_t mem_limit;       /* SANDBOX_PARSER: address space the process
                               may add to 'vm_base'; 0: no limit */
    size_t vm_base;         /* the address space it has now, bytes
                               (sandbox_vm_size() taken before files were
                               closed off); 0: no limit is set */
};

/* Confine the calling process, which must be single-threaded, for the
 * rest of its life (children inherit it). Returns CUR_OK, or CUR_EIO with
 * a one-line reason in 'err' (may be NULL when errlen is 0); the process
 * may then be partly confined and should exit. */
int sandbox_enter(const struct sandbox_cfg *c, char *err, size_t errlen);

/* The address space of the calling process in bytes, read from
 * /proc/self/statm (so before confinement); 0 when unknown. */
size_t sandbox_vm_size(void);

/* Arm a CPU-time timer for the process (user and system time): past
 * 'seconds', SIGPROF, whose default action ends the process. 0 disarms
 * it. Returns CUR_OK or CUR_EIO. */
int sandbox_cpu_timer(double seconds);

/* 1 when SANDBOX_PARSER is the strict allowlist with an address-space
 * limit, 0 in sanitizer builds (see above). */
int sandbox_strict(void);

#endif
