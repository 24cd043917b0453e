// tests/glue/rc_subject_test.cpp: a RapidCheck property that fails on
// purpose; rc_test.cpp runs it as a subprocess.
#include <simloop/rapidcheck.hpp>

#include "lost_update.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

RC_GTEST_PROP(RcSubject, LostUpdate, ()) {
  const int tasks = *rc::gen::inRange(1, 9);
  simloop::rc::check([tasks] { return glue_test::staggered_lost_update(tasks); });
}
