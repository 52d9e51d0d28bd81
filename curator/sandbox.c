/* Confinement: no_new_privs, rlimits and a seccomp BPF filter built here
 * from lists of system calls (sandbox.h says what each profile allows).
 * The filter checks the architecture first, so a call made through
 * another ABI (x32, or 32-bit calls on x86_64) cannot slip past the
 * numbers below. */
#define _GNU_SOURCE
#include "sandbox.h"
#include "err.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_KILL SECCOMP_RET_KILL_PROCESS
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | ((uint32_t)(e) & SECCOMP_RET_DATA))

#define PROG_MAX 1024

/* The low 32 bits of a system call argument. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

/* Calls that work on what is already open, memory, time and signals:
 * all a parser needs once its channel is open. mmap and mprotect are
 * checked apart (no executable memory), tgkill and tkill too (itself
 * only: abort() raises its own SIGABRT). */
static const long parser_allow[] = {
    SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_close,
    SYS_exit, SYS_exit_group, SYS_restart_syscall,
    SYS_brk, SYS_munmap, SYS_mremap, SYS_madvise,
    SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_rt_sigaction,
    SYS_sigaltstack, SYS_getpid, SYS_gettid,
    SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday,
#ifdef SYS_time
    SYS_time,
#endif
    SYS_getrandom, SYS_futex, SYS_sched_yield,
    SYS_setitimer, SYS_getitimer, SYS_getrusage, SYS_sysinfo,
};

/* The file system: refused with EACCES in both profiles. */
static const long deny_files[] = {
#ifdef SYS_open
    SYS_open,
#endif
#ifdef SYS_creat
    SYS_creat,
#endif
#ifdef SYS_stat
    SYS_stat, SYS_lstat,
#endif
#ifdef SYS_access
    SYS_access,
#endif
#ifdef SYS_readlink
    SYS_readlink,
#endif
#ifdef SYS_mkdir
    SYS_mkdir, SYS_rmdir, SYS_unlink, SYS_rename, SYS_link, SYS_symlink,
    SYS_chmod, SYS_chown, SYS_lchown, SYS_mknod,
#endif
#ifdef SYS_openat2
    SYS_openat2,
#endif
#ifdef SYS_faccessat2
    SYS_faccessat2,
#endif
    SYS_openat, SYS_newfstatat, SYS_statx, SYS_statfs, SYS_faccessat,
    SYS_readlinkat, SYS_getdents64, SYS_chdir, SYS_fchdir, SYS_mkdirat,
    SYS_unlinkat, SYS_renameat, SYS_renameat2, SYS_linkat, SYS_symlinkat,
    SYS_fchmodat, SYS_fchownat, SYS_mknodat, SYS_truncate, SYS_utimensat,
    SYS_name_to_handle_at, SYS_open_by_handle_at, SYS_mount, SYS_umount2,
    SYS_chroot, SYS_pivot_root, SYS_acct, SYS_swapon, SYS_swapoff,
    SYS_inotify_init1, SYS_fanotify_init, SYS_memfd_create,
};

/* The network (socketpair apart: the spawner makes channels with it,
 * and sizes their buffers). */
static const long deny_net[] = {
    SYS_socket, SYS_connect, SYS_bind, SYS_listen, SYS_accept,
    SYS_accept4,
};

/* Running or inspecting other programs, and kernel facilities a parser
 * never needs. */
static const long deny_exec[] = {
    SYS_execve, SYS_execveat, SYS_ptrace, SYS_process_vm_readv,
    SYS_process_vm_writev, SYS_bpf, SYS_perf_event_open,
    SYS_io_uring_setup, SYS_kexec_load, SYS_init_module,
    SYS_finit_module, SYS_delete_module, SYS_keyctl, SYS_add_key,
    SYS_request_key, SYS_userfaultfd,
};

/* New descriptors and moving data to other ones: the parser has its
 * channel, and needs no more. */
static const long deny_fds[] = {
#ifdef SYS_pipe
    SYS_pipe,
#endif
#ifdef SYS_dup2
    SYS_dup2,
#endif
    SYS_pipe2, SYS_dup, SYS_dup3, SYS_fcntl, SYS_socketpair, SYS_sendto,
    SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg, SYS_recvmmsg,
    SYS_lseek, SYS_pread64, SYS_pwrite64, SYS_fstatfs, SYS_ftruncate,
    SYS_fallocate, SYS_fchmod, SYS_fchown, SYS_eventfd2, SYS_timerfd_create,
    SYS_signalfd4, SYS_epoll_create1, SYS_shutdown, SYS_getsockopt,
    SYS_setsockopt, SYS_getsockname, SYS_getpeername,
#ifdef SYS_fstat
    SYS_fstat,
#endif
};

/* Processes: the lenient parser profile cannot make any or signal one. */
static const long deny_procs[] = {
#ifdef SYS_fork
    SYS_fork, SYS_vfork,
#endif
#ifdef SYS_clone3
    SYS_clone3,
#endif
    SYS_clone, SYS_kill, SYS_setpgid, SYS_setsid,
};

struct prog {
    struct sock_filter f[PROG_MAX];
    size_t n;
    int overflow;
};

static void
emit(struct prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
    if (p->n == PROG_MAX) {
        p->overflow = 1;
        return;
    }
    p->f[p->n++] = (struct sock_filter) { code, jt, jf, k };
}

/* 'nr' returns 'action'. The accumulator holds the call number. */
static void
rule(struct prog *p, long nr, uint32_t action)
{
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
    emit(p, BPF_RET | BPF_K, action, 0, 0);
}

static void
rules(struct prog *p, const long *v, size_t n, uint32_t action)
{
    for (size_t i = 0; i < n; i++)
        rule(p, v[i], action);
}

/* 'nr' is allowed when argument 'arg' has none of the bits of 'mask',
 * else returns 'deny'. Every path of the block returns, so the call
 * number is still in the accumulator for the rules after it. */
static void
rule_no_bits(struct prog *p, long nr, unsigned arg, uint32_t mask,
             uint32_t deny)
{
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4);
    emit(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)ARG_LO(arg), 0, 0);
    emit(p, BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1);
    emit(p, BPF_RET | BPF_K, deny, 0, 0);
    emit(p, BPF_RET | BPF_K, RET_ALLOW, 0, 0);
}

/* 'nr' is allowed when argument 'arg' equals 'value' (a pid: the kernel
 * reads 32 bits), else returns 'deny'. */
static void
rule_arg_eq(struct prog *p, long nr, unsigned arg, uint32_t value,
            uint32_t deny)
{
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4);
    emit(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)ARG_LO(arg), 0, 0);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, value, 0, 1);
    emit(p, BPF_RET | BPF_K, RET_ALLOW, 0, 0);
    emit(p, BPF_RET | BPF_K, deny, 0, 0);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The filter of a profile; 'strict' picks the allowlist for the parser. */
static void
build(struct prog *p, enum sandbox_profile profile, int strict)
{
    uint32_t eacces = RET_ERRNO(EACCES);

#ifdef SANDBOX_ARCH
    emit(p, BPF_LD | BPF_W | BPF_ABS,
         (uint32_t)offsetof(struct seccomp_data, arch), 0, 0);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
    emit(p, BPF_RET | BPF_K, RET_KILL, 0, 0);
#endif
    emit(p, BPF_LD | BPF_W | BPF_ABS,
         (uint32_t)offsetof(struct seccomp_data, nr), 0, 0);
#if defined(__x86_64__)
    /* x32 calls reuse these numbers with a high bit set. */
    emit(p, BPF_JMP | BPF_JGE | BPF_K, 0x40000000U, 0, 1);
    emit(p, BPF_RET | BPF_K, RET_KILL, 0, 0);
#endif
    rules(p, deny_files, N(deny_files), eacces);
    rules(p, deny_net, N(deny_net), eacces);
    rules(p, deny_exec, N(deny_exec), eacces);
    if (profile == SANDBOX_SPAWNER) {
        emit(p, BPF_RET | BPF_K, RET_ALLOW, 0, 0);
        return;
    }
    rules(p, deny_fds, N(deny_fds), eacces);
    if (!strict) {
        rules(p, deny_procs, N(deny_procs), eacces);
        emit(p, BPF_RET | BPF_K, RET_ALLOW, 0, 0);
        return;
    }
    rules(p, parser_allow, N(parser_allow), RET_ALLOW);
    rule_no_bits(p, SYS_mmap, 2, PROT_EXEC, eacces);
    rule_no_bits(p, SYS_mprotect, 2, PROT_EXEC, eacces);
    rule_arg_eq(p, SYS_tgkill, 0, (uint32_t)getpid(), RET_KILL);
    rule_arg_eq(p, SYS_tkill, 0, (uint32_t)getpid(), RET_KILL);
    rule(p, SYS_ioctl, RET_ERRNO(ENOTTY));
    emit(p, BPF_RET | BPF_K, RET_KILL, 0, 0);
}

int
sandbox_strict(void)
{
    return !SANDBOX_ASAN;
}

size_t
sandbox_vm_size(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long pages = 0;
    long page = sysconf(_SC_PAGESIZE);

    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu", &pages) != 1)
        pages = 0;
    fclose(f);
    return page > 0 ? (size_t)pages * (size_t)page : 0;
}

int
sandbox_cpu_timer(double seconds)
{
    struct itimerval it = { { 0, 0 }, { 0, 0 } };
    if (seconds > 0) {
        it.it_value.tv_sec = (time_t)seconds;
        it.it_value.tv_usec = (suseconds_t)((seconds
                                             - (double)it.it_value.tv_sec)
                                            * 1e6);
        if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
            it.it_value.tv_usec = 1;
    }
    return setitimer(ITIMER_PROF, &it, NULL) == 0 ? CUR_OK : CUR_EIO;
}

/* Lower a limit to 'value' (never above the hard limit it has). */
static int
limit(int resource, rlim_t value)
{
    struct rlimit rl;
    if (getrlimit(resource, &rl) != 0)
        return -1;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
        value = rl.rlim_max;
    rl.rlim_cur = rl.rlim_max = value;
    return setrlimit(resource, &rl);
}

int
sandbox_enter(const struct sandbox_cfg *c, char *err, size_t errlen)
{
    struct prog p = { .n = 0 };
    int strict = sandbox_strict();

#ifndef SANDBOX_ARCH
    snprintf(err, errlen, "no seccomp filter for this architecture");
    return CUR_EIO;
#endif
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
        return CUR_EIO;
    }
    if (c->profile == SANDBOX_PARSER) {
        /* A crash must not write a document's bytes to disk. */
        if (limit(RLIMIT_CORE, 0) != 0) {
            snprintf(err, errlen, "RLIMIT_CORE: %s", strerror(errno));
            return CUR_EIO;
        }
        if (strict && c->mem_limit > 0 && c->vm_base > 0
            && limit(RLIMIT_AS, (rlim_t)(c->vm_base + c->mem_limit)) != 0) {
            snprintf(err, errlen, "RLIMIT_AS: %s", strerror(errno));
            return CUR_EIO;
        }
    }
    build(&p, c->profile, strict);
    if (p.overflow) {
        snprintf(err, errlen, "seccomp filter too long");
        return CUR_EIO;
    }
    struct sock_fprog fp = { .len = (unsigned short)p.n, .filter = p.f };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) != 0) {
        snprintf(err, errlen, "seccomp: %s", strerror(errno));
        return CUR_EIO;
    }
    if (errlen > 0)
        err[0] = '\0';
    return CUR_OK;
}
