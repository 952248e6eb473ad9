#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs that keep their own main(). SwiftPM links every
// executable with main pointing at the module's entry, so libFuzzer's own main
// cannot be used: the fuzz executables call this instead (see docs/fuzzing.md).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
