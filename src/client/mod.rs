//! The Clerk Backend API client (work in progress).
