/* cric-pull, the process a pull runs in: cricd starts it with one end of a stream
 * socket as fd 3, sends the job, serves its claims and commits, and reads its answer
 * (image/pull_helper.c is cricd's side). */
#ifndef CRIC_IMAGE_PULL_CHILD_H
#define CRIC_IMAGE_PULL_CHILD_H

/* Runs the one job cricd sends on sock. The process's exit status: 0 when cricd got an
 * answer (an image id or the pull's error), 1 when the conversation broke. */
int pull_child_main(int sock);

#endif
