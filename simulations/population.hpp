// The synthetic hospital: staff (clinicians, some on night shift, pharmacists, admins,
// auditors), patients of every age band (children, adolescents 13-17 with a parent proxy,
// adults, seniors) in several states, a few VIP records, care relationships, medications
// (some confidential), pharmacogenomic results, and portal accounts with an enrolled TOTP
// factor. Everything is created through the real actors, so it is ordinary events.
//
// Every choice is drawn from the Sim's rng first, in one thread; the commands then run on
// `threads` threads over disjoint slices (the fast path: the journal group-commits what the
// threads send together). What is created does not depend on the interleaving; positions do.
// Ids are derived from the seed and the index ("usr-s<seed>-<n>", "pt-s<seed>-<n>"), never
// from chance. Passwords are synthetic and deterministic; TOTP secrets are drawn by the user
// actor and kept in the Person.
#pragma once

#include "simulations/sim.hpp"

namespace rxp::sim {

struct PopulationSpec {
  size_t patients = 10000;
  size_t staff = 500;
  unsigned threads = 8;
};

Status build_population(Sim& sim, const PopulationSpec& spec, uint64_t seed);

// Creates one account through the real actors (claim, register, enrol TOTP in the
// enrolment-grace session, log out). Fills p.totp_secret. Thread-safe.
Status create_account(actors::Runtime& rt, const Clock& clock, Person& p);

}  // namespace rxp::sim
