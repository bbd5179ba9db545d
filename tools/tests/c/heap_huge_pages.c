// Prints whether the first allocation after c1d_heap_prefer_huge_pages lies in the range it advised for
// huge pages: the VmFlags of its mapping in /proc/self/smaps include "hg" (MADV_HUGEPAGE).
// Output: "advised", "unadvised", or "skipped" when the call could not apply (no THP, not glibc).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c1d_kernels.h"

int main(void) {
  if (!c1d_retain_freed_memory() || !c1d_heap_prefer_huge_pages((size_t)512 << 20)) {
    puts("skipped");
    return 0;
  }
  char *first = malloc(256 << 10);
  memset(first, 1, 256 << 10);
  FILE *smaps = fopen("/proc/self/smaps", "r");
  if (!smaps) { puts("skipped"); return 0; }
  char line[512];
  int inside = 0;
  uintptr_t address = (uintptr_t)first;
  while (fgets(line, sizeof line, smaps)) {
    unsigned long start, end;
    if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      inside = address >= start && address < end;
    } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
      puts(strstr(line, " hg") ? "advised" : "unadvised");
      return 0;
    }
  }
  puts("not found");
  return 1;
}
