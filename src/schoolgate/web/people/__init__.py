"""People: pupils, staff, governors, visitors and supply staff, community users, parents and carers;
year groups and classes; and the network identities (user names, devices, address ranges) that the
filter knows them by."""
