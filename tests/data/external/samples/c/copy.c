/* Deliberately vulnerable sample for the external-control tests (flawfinder). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char buffer[16];
  if (argc < 2) return 1;
  strcpy(buffer, argv[1]);
  char command[64];
  sprintf(command, "echo %s", argv[1]);
  system(command);
  return 0;
}
