"""What every page shares: the layout, navigation, access checks and the home page."""
