"""Programme events beyond the classroom: mobilisation events, alumni network meetings,
buyer-supplier meetings, with their invitations and attendance."""
