/* The threads of this process, for tests of thread counts. */
#ifndef PROC_THREADS_H
#define PROC_THREADS_H

/* Threads of this process, or 0 where /proc cannot tell. */
int proc_threads (void);

#endif
