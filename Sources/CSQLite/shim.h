#include <sqlite3.h>

/// sqlite3_config is variadic, which Swift cannot call: one wrapper per setting we use.
/// Turns off SQLite's memory statistics, which take a process-wide mutex on every
/// allocation (every statement step); must run before SQLite initializes.
static inline int tidewater_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
