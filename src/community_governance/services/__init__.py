"""Services: the use cases, and the only writers. One transaction per public operation."""
