"""The organisers' dashboard: how each campaign is doing, in figures and plots."""
