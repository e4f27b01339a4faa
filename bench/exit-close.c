// How long a SIGKILLed process keeps its TCP connections open (issue 14, "where a slow leader kill loses its time"):
// Linux's do_exit frees the address space (exit_mm) before it closes the files (exit_files), and a thread waiting in
// the kernel (an fsync in flight) must finish first, so a peer sees the FIN only once both are done. A child touches
// MB of memory, starts THREADS threads that write CHUNK_KIB and fdatasync in a loop (0: none) in a temporary folder,
// connects to the parent over 127.0.0.1 and waits; the parent SIGKILLs it and times the EOF on its end and the reap.
//
//   gcc -O2 -pthread -o /tmp/exit-close bench/exit-close.c && /tmp/exit-close MB ROUNDS [THREADS CHUNK_KIB]
//   /tmp/exit-close 100 5; /tmp/exit-close 600 5; /tmp/exit-close 500 8 2 256
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long chunk_bytes;
static char folder[] = "/tmp/kvraft-exit-close.XXXXXX";

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void *writer(void *arg) {
    char path[64];
    snprintf(path, sizeof path, "%s/f%ld", folder, (long)arg);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char *block = malloc(chunk_bytes);
    memset(block, 2, chunk_bytes);
    for (long i = 0;; i++) {
        if (pwrite(fd, block, chunk_bytes, (i % 64) * chunk_bytes) < 0 || fdatasync(fd) < 0) return NULL;
    }
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s MB ROUNDS [THREADS CHUNK_KIB]\n", argv[0]); return 2; }
    long mb = atol(argv[1]);
    int rounds = atoi(argv[2]), threads = argc > 3 ? atoi(argv[3]) : 0;
    chunk_bytes = (argc > 4 ? atol(argv[4]) : 256) << 10;
    if (threads > 0 && !mkdtemp(folder)) { perror("mkdtemp"); return 1; }
    for (int round = 0; round < rounds; round++) {
        int listener = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t length = sizeof address;
        bind(listener, (void *)&address, sizeof address);
        getsockname(listener, (void *)&address, &length);
        listen(listener, 1);
        pid_t child = fork();
        if (child == 0) {
            char *memory = mmap(0, mb << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            memset(memory, 1, mb << 20);
            for (long t = 0; t < threads; t++) { pthread_t thread; pthread_create(&thread, 0, writer, (void *)t); }
            int s = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(s, (void *)&address, sizeof address) < 0 || write(s, "x", 1) != 1) _exit(1);
            for (;;) pause();
        }
        int connection = accept(listener, 0, 0);
        char byte;
        if (read(connection, &byte, 1) != 1) return 1;
        usleep(300000 + rand() % 200000); // somewhere in the writers' loop
        double killed = now_ms();
        kill(child, SIGKILL);
        struct pollfd wait_eof = {connection, POLLIN, 0};
        poll(&wait_eof, 1, 10000);
        double closed = now_ms();
        int status;
        waitpid(child, &status, 0);
        printf("%ld MB, %d fsync threads of %ld KiB: SIGKILL -> peer EOF %.1f ms, -> reaped %.1f ms\n", mb, threads,
               chunk_bytes >> 10, closed - killed, now_ms() - killed);
        close(connection);
        close(listener);
    }
    if (threads > 0) {
        for (int t = 0; t < threads; t++) { char path[64]; snprintf(path, sizeof path, "%s/f%d", folder, t); unlink(path); }
        rmdir(folder);
    }
    return 0;
}
