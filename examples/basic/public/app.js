document.title += ' (static JS served as an asset)';
