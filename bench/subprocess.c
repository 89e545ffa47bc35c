/* posix_spawn with pipes: stdout captured whole, or a line-by-line conversation. */
#include "subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Reads fd to its end into a growing buffer. */
static char *read_all(int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (cap - len < 1024) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

char *bench_spawn_capture(char *const argv[], int *exit_status)
{
    int fds[2];
    if (pipe(fds) != 0) return NULL;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return NULL;
    }
    char *out = read_all(fds[0]);
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

int bench_child_start(bench_child *c, char *const argv[])
{
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0) return -1;
    if (pipe(from_child) != 0) {
        close(to_child[0]);
        close(to_child[1]);
        return -1;
    }
    /* Our ends must not leak into later children: one holding another's stdin open would
     * keep it from ever seeing end of input. */
    fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
    fcntl(from_child[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    int ends[4] = {to_child[0], to_child[1], from_child[0], from_child[1]};
    for (int i = 0; i < 4; i++) posix_spawn_file_actions_addclose(&actions, ends[i]);
    int rc = posix_spawnp(&c->pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    c->in = rc == 0 ? fdopen(to_child[1], "w") : NULL;
    c->out = rc == 0 ? fdopen(from_child[0], "r") : NULL;
    if (!c->in || !c->out) {
        if (c->in) fclose(c->in); else close(to_child[1]);
        if (c->out) fclose(c->out); else close(from_child[0]);
        if (rc == 0) waitpid(c->pid, NULL, 0);
        return -1;
    }
    setvbuf(c->in, NULL, _IOLBF, 0);
    return 0;
}

int bench_child_finish(bench_child *c)
{
    fclose(c->in);
    fclose(c->out);
    int status;
    while (waitpid(c->pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
