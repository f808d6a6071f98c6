#include "trace/trace-accel_mshv.h"
